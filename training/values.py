"""Value pools for the synthetic data: each kind draws (text in the query, JSON value).

Strings are copied verbatim from the query into the answer; integers may be
written as digits or words ("five" -> 5); numbers keep their digits. All
values are ASCII so the compact answer JSON needs no escapes.
"""

CITIES = """Paris London Tokyo Berlin Madrid Rome Lisbon Dublin Amsterdam Brussels Vienna Prague Warsaw
Budapest Athens Oslo Stockholm Helsinki Copenhagen Reykjavik Edinburgh Manchester Liverpool Glasgow Cardiff
Barcelona Seville Valencia Milan Naples Florence Venice Munich Hamburg Frankfurt Cologne Zurich Geneva Lyon
Marseille Nice Bordeaux Porto Krakow Sofia Bucharest Belgrade Zagreb Istanbul Cairo Nairobi Lagos Accra
Casablanca Johannesburg Dubai Doha Mumbai Delhi Bangalore Chennai Kolkata Karachi Dhaka Bangkok Hanoi Manila
Jakarta Singapore Seoul Busan Osaka Kyoto Beijing Shanghai Shenzhen Taipei Sydney Melbourne Brisbane Perth
Auckland Wellington Toronto Vancouver Montreal Calgary Ottawa Chicago Boston Seattle Denver Austin Dallas
Houston Phoenix Atlanta Miami Orlando Detroit Portland Nashville Minneapolis Philadelphia Pittsburgh Baltimore
Sacramento Anchorage Honolulu Lima Santiago Bogota Quito Caracas Havana Tucson Boise Omaha""".split()
CITIES += ["New York", "San Francisco", "Los Angeles", "San Diego", "Las Vegas", "New Orleans", "Salt Lake City",
           "Buenos Aires", "Mexico City", "Rio de Janeiro", "Cape Town", "Hong Kong", "Kuala Lumpur", "Tel Aviv",
           "Abu Dhabi", "St. Louis", "Kansas City", "San Jose", "Washington", "Oklahoma City"]

FIRST = """Alice Bob Carol Dave Emma Frank Grace Henry Isla Jack Kate Liam Mia Noah Olivia Peter Quinn Rachel Sam
Tom Uma Victor Wendy Xavier Yara Zoe Aaron Bella Chris Diana Ethan Fiona George Hannah Ivan Julia Kevin Laura
Mason Nina Oscar Priya Ravi Sofia Tyler Vera Will Amir Leila Kenji Yuki Mateo Lucia Omar Fatima Chen Mei Arjun
Ananya Lars Ingrid Pablo Camila Noor Tariq Ada Jonas Elena Marco Sara Daniel Maya Luke Ruby Adam Chloe Ben Lily
Dylan Nora Owen Ella Ryan Ava Sean Jade Mike Anna Paul Emily Mark Lucy Jason Megan Josh Tara Alex Jordan Casey
Morgan Riley Taylor Jamie Robin Mom Dad Grandma""".split()
LAST = """Smith Johnson Lee Brown Garcia Martinez Davis Miller Wilson Moore Taylor Anderson Thomas Jackson White
Harris Martin Thompson Robinson Clark Lewis Walker Young Allen King Wright Scott Green Baker Adams Nelson Hill
Campbell Mitchell Roberts Carter Phillips Evans Turner Parker Collins Edwards Stewart Morris Murphy Cook Rogers
Patel Kim Nguyen Chen Singh Kowalski Novak Silva Santos Rossi Muller Schmidt Dubois Tanaka Sato Okafor Mensah""".split()
DOMAINS = ["gmail.com", "outlook.com", "yahoo.com", "example.com", "company.org", "proton.me", "work.io", "mail.net"]

MESSAGES = """running 10 minutes late|see you at noon|on my way|can you call me back|dinner is ready|happy birthday
|don't forget the tickets|meeting moved to 3pm|I'll be there soon|thanks for everything|are we still on for tonight
|call me when you land|the package arrived|good luck today|let's grab coffee tomorrow|I miss you|pick up milk please
|the game starts at 8|I'm stuck in traffic|great job on the presentation|see you at the gym|the keys are under the mat
|lunch is on me today|can you send me the report|I just got home|the kids are asleep|flight is delayed by an hour
|let's reschedule to Friday|congrats on the new job|what time is the party|I left my charger at your place
|bring an umbrella|the meeting is cancelled|happy anniversary|we need to talk|call the plumber|I'll pick you up at 7
|the wifi password is on the fridge|save me a seat|welcome to the team|have a safe trip""".replace("\n", "").split("|")
SUBJECTS = """Quarterly report|Lunch plans|Project update|Invoice 4521|Weekend trip|Team offsite|Budget review
|Interview schedule|Happy holidays|Contract draft|Meeting notes|Rent reminder|Party invitation|Travel itinerary
|Feedback request|Sprint planning|Welcome aboard|Order confirmation|Vacation request|Design review""".replace("\n", "").split("|")
EVENTS = """Team standup|Dentist appointment|Lunch with Sarah|Yoga class|Project kickoff|Doctor visit|Book club
|Parent teacher meeting|Piano lesson|Sprint review|Coffee with Alex|Birthday party|Car service|Haircut|Date night
|Board meeting|Soccer practice|Flight to Denver|Gym session|Client call|Family dinner|Code review|Job interview
|Guitar lesson|Volunteer shift""".replace("\n", "").split("|")
TASKS = """buy milk|call the dentist|pay the electricity bill|water the plants|renew my passport|pick up dry cleaning
|book a table for Friday|send the invoice|take out the trash|walk the dog|finish the slides|email the landlord
|order printer ink|schedule an oil change|return the library books|buy a birthday gift|clean the garage
|submit the expense report|call mom|back up the laptop|feed the cat|charge the car|refill prescription
|cancel the gym membership|update the resume""".replace("\n", "").split("|")
NOTES = """ideas for the blog post|grocery list for the weekend|the wifi password is sunshine42|parking spot is level 3
|gift ideas for Dad|recipe for banana bread|questions for the doctor|books to read this summer|meeting takeaways
|packing list for the trip|the door code is 4821|plants need water on Tuesdays|movie recommendations from Jen
|things to fix in the apartment|podcast episodes to check out""".replace("\n", "").split("|")
SONGS = """Bohemian Rhapsody|Yesterday|Hotel California|Imagine|Billie Jean|Hey Jude|Wonderwall|Smells Like Teen Spirit
|Rolling in the Deep|Shape of You|Blinding Lights|Bad Guy|Levitating|Dancing Queen|Purple Rain|Hallelujah|Africa
|Take On Me|Halo|Uptown Funk|Clocks|Creep|Jolene|Respect|Superstition|Watermelon Sugar|Riptide|Yellow|Despacito
|Stay|Believer|Thunderstruck|Under Pressure|Dreams|Vienna""".replace("\n", "").split("|")
ARTISTS = """Queen|The Beatles|Eagles|Adele|Taylor Swift|Coldplay|Radiohead|Beyonce|Drake|Ed Sheeran|Dua Lipa
|The Weeknd|Billie Eilish|Fleetwood Mac|Daft Punk|Miles Davis|Nina Simone|Bob Marley|Kendrick Lamar|Arctic Monkeys
|Norah Jones|Stevie Wonder|Dolly Parton|Bruno Mars|Lady Gaga|Metallica|ABBA|Prince|Shakira|Harry Styles
|Bad Bunny|Rihanna|Oasis|Nirvana|Elton John""".replace("\n", "").split("|")
PLAYLISTS = """Workout Mix|Chill Vibes|Road Trip|Focus Flow|Sunday Morning|Party Hits|Sleep Sounds|Throwbacks
|Dinner Jazz|Rainy Day|Summer 2024|Morning Run|Study Beats|Indie Gems|Feel Good""".replace("\n", "").split("|")
PODCASTS = """The Daily|Radiolab|Serial|Planet Money|Hardcore History|Reply All|Freakonomics Radio|This American Life
|Stuff You Should Know|Hidden Brain|The Ezra Klein Show|Lex Fridman Podcast|Science Vs|99% Invisible""".replace("\n", "").split("|")
GENRES = ["jazz", "rock", "classical", "hip hop", "lo-fi", "country", "pop", "blues", "reggae", "techno",
          "ambient", "folk", "metal", "soul", "k-pop", "indie"]
ROOMS = ["living room", "kitchen", "bedroom", "bathroom", "office", "garage", "hallway", "dining room",
         "basement", "nursery", "guest room", "patio", "porch", "attic", "kids room", "study"]
DEVICES = ["ceiling fan", "TV", "heater", "air conditioner", "coffee maker", "speaker", "dishwasher",
           "washing machine", "air purifier", "humidifier", "electric blanket", "kettle", "smart plug",
           "space heater", "dehumidifier", "projector"]
APPS = ["Spotify", "Maps", "Camera", "Calendar", "Photos", "WhatsApp", "Slack", "Netflix", "YouTube", "Gmail",
        "Settings", "Notes", "Calculator", "Clock", "Chrome", "Uber", "Instagram", "Zoom", "Duolingo", "Kindle"]
SEARCHES = """best pizza near me|how to tie a tie|python list comprehension|flights to Rome|symptoms of the flu
|cheap hotels in Lisbon|how tall is Mount Everest|vegan lasagna recipe|history of the Roman empire|how to fix a leaky tap
|world cup results|electric cars under 30k|how to learn piano|best hiking trails nearby|what is quantum computing
|how to make cold brew|latest iPhone reviews|time zone of Tokyo|how to train a puppy|good sci-fi books
|running shoes for flat feet|how to change a tire|tips for better sleep|easy chicken curry|solar panel costs""".replace("\n", "").split("|")
FILES = ["report.pdf", "budget_2024.xlsx", "notes.txt", "presentation.pptx", "photo_001.jpg", "resume.docx",
         "invoice_4521.pdf", "backup.zip", "draft_v2.docx", "data.csv", "slides_final.key", "contract.pdf",
         "vacation.mp4", "readme.md", "taxes_2023.pdf", "logo.png", "meeting_audio.m4a", "plan.txt"]
FOLDERS = ["Documents", "Downloads", "Desktop", "Pictures", "Work", "Projects", "Archive", "Music", "Taxes",
           "Shared", "Photos/2024", "Invoices", "School", "Backups"]
ITEMS = """paper towels|AA batteries|oat milk|coffee beans|dish soap|bananas|toothpaste|eggs|olive oil|dog food
|printer paper|shampoo|avocados|rice|trash bags|sparkling water|laundry detergent|bread|tomatoes|cereal|butter
|light bulbs|cat litter|yogurt|pasta|chicken breast|apples|spinach|peanut butter|orange juice""".replace("\n", "").split("|")
PRODUCTS = """wireless earbuds|running shoes|standing desk|coffee grinder|yoga mat|phone case|mechanical keyboard
|air fryer|electric toothbrush|backpack|desk lamp|bluetooth speaker|smart watch|winter jacket|water bottle
|office chair|usb-c cable|board game|hiking boots|blender""".replace("\n", "").split("|")
ADDRESSES = ["221B Baker Street", "10 Downing Street", "350 Fifth Avenue", "1600 Amphitheatre Parkway",
             "742 Evergreen Terrace", "1 Infinite Loop", "55 Main Street", "12 Oak Lane", "400 Broad Street",
             "88 Harbor Road", "3 Elm Court", "900 Market Street", "17 Park Avenue", "25 River Road"]
PLACES = ["the airport", "the train station", "downtown", "the office", "home", "the mall", "the beach",
          "the hospital", "the nearest gas station", "Central Park", "the stadium", "the library", "work",
          "the university", "the museum", "the zoo", "the city center", "the harbor"]
TICKERS = ["AAPL", "TSLA", "MSFT", "GOOGL", "AMZN", "NVDA", "META", "NFLX", "IBM", "INTC", "AMD", "DIS", "KO",
           "NKE", "SBUX", "UBER", "SHOP", "BA", "V", "JPM"]
CURRENCIES = ["USD", "EUR", "GBP", "JPY", "CAD", "AUD", "CHF", "INR", "MXN", "BRL", "SEK", "NZD", "CNY", "KRW"]
LANGUAGES = ["Spanish", "French", "German", "Italian", "Japanese", "Portuguese", "Korean", "Chinese", "Dutch",
             "Arabic", "Hindi", "Russian", "Swedish", "Greek", "Turkish", "Polish"]
TEXTS = """where is the train station|thank you very much|how much does this cost|I would like a coffee
|good morning|where is the bathroom|nice to meet you|the bill please|I am allergic to peanuts|see you tomorrow
|can you help me|I don't understand""".replace("\n", "").split("|")
DATES = ["today", "tomorrow", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
         "next Monday", "next Friday", "this weekend", "next week", "June 3", "July 14", "August 21",
         "September 9", "October 31", "December 24", "January 15", "March 2", "April 18", "May 27",
         "2024-06-12", "2025-01-08", "2024-11-30", "the 15th", "the day after tomorrow"]
RELATIVE_DATES = {"today", "tomorrow", "next Monday", "next Friday", "this weekend", "next week",
                  "the day after tomorrow"}
TIMES = ["7 am", "7:30 am", "8 am", "9:15 am", "10 am", "11:45 am", "noon", "12:30 pm", "1 pm", "2:30 pm",
         "3 pm", "4:45 pm", "5 pm", "6:30 pm", "7 pm", "8 pm", "9:30 pm", "10 pm", "midnight", "6 am",
         "06:00", "14:30", "18:45", "21:00", "5:15 am", "11 pm"]
TEAMS = ["Lakers", "Warriors", "Yankees", "Red Sox", "Arsenal", "Real Madrid", "Barcelona", "Chelsea",
         "Liverpool", "Bayern Munich", "Patriots", "Chiefs", "Celtics", "Knicks", "Dodgers", "Juventus"]
NEWS_TOPICS = ["technology", "politics", "sports", "science", "business", "health", "climate", "space",
               "elections", "the stock market", "AI", "electric vehicles", "football", "movies"]
MOVIES = ["Inception", "The Matrix", "Interstellar", "Dune", "Oppenheimer", "Barbie", "Up", "Parasite",
          "Jaws", "Titanic", "Gladiator", "Coco", "Frozen", "Alien", "Arrival", "The Godfather", "Amelie"]
SHOWS = ["Breaking Bad", "The Office", "Friends", "Stranger Things", "The Crown", "Succession", "Severance",
         "The Bear", "Dark", "Seinfeld", "Fleabag", "Ted Lasso"]
BOOKS = ["1984", "Sapiens", "The Hobbit", "Educated", "Atomic Habits", "Becoming", "Circe",
         "The Road", "Beloved", "Project Hail Mary", "Middlemarch", "Pachinko", "Normal People"]
WIFI = ["HomeNet", "CoffeeShop_Guest", "Office-5G", "Linksys42", "AirportFreeWiFi", "Hotel_Lobby", "MyHotspot"]
BT_DEVICES = ["AirPods", "car stereo", "Bose headphones", "JBL speaker", "Galaxy Buds", "smartwatch", "keyboard"]
ACCOUNTS = ["checking", "savings", "credit card", "joint account", "business account", "travel fund"]
PAYEES = ["Comcast", "the landlord", "PG&E", "Verizon", "Netflix", "the water company", "State Farm",
          "AT&T", "the gym", "the dentist office"]
CATEGORIES = ["groceries", "dining", "transport", "rent", "utilities", "entertainment", "travel", "shopping",
              "health", "subscriptions", "gifts", "education"]
LABELS = ["pasta", "laundry", "tea", "eggs", "pizza", "break", "workout", "nap", "oven", "meditation",
          "homework", "parking", "call", "bread", "focus"]
CHANNELS = ["#general", "#random", "#engineering", "#design", "#marketing", "#support", "#announcements",
            "#team-alpha", "#sales", "#dev-ops"]
URLS = ["example.com", "news.ycombinator.com", "wikipedia.org", "github.com", "https://docs.python.org",
        "bbc.co.uk", "https://weather.gov", "reddit.com", "nytimes.com", "https://arxiv.org"]
ROUTE_MODES = ["driving", "walking", "cycling", "transit"]
COLORS = ["red", "blue", "warm white", "green", "purple", "orange", "pink", "cool white", "yellow", "teal"]
SCENES = ["Movie Night", "Good Morning", "Relax", "Dinner Party", "Bedtime", "Focus", "Away", "Reading"]
RECIPES = ["lasagna", "pad thai", "banana bread", "chicken curry", "guacamole", "pancakes", "ramen",
           "shakshuka", "tiramisu", "mushroom risotto", "tacos", "minestrone"]
INGREDIENTS = ["chicken", "tofu", "salmon", "broccoli", "chickpeas", "eggplant", "beef", "lentils",
               "mushrooms", "shrimp", "sweet potato", "spinach"]
AIRPORTS = ["JFK", "LAX", "SFO", "LHR", "CDG", "NRT", "FRA", "AMS", "DXB", "SIN", "ORD", "ATL", "BOS", "SEA"]
AIRLINES = ["Delta", "United", "Lufthansa", "Emirates", "Air France", "KLM", "Qantas", "JetBlue", "Ryanair"]
HOTELS = ["Hilton", "Marriott", "Ace Hotel", "Hyatt", "The Ritz", "Holiday Inn", "Four Seasons"]
EXERCISES = ["running", "cycling", "swimming", "yoga", "walking", "rowing", "weight training", "hiking",
             "pilates", "boxing"]
PETS = ["Max", "Bella", "Luna", "Charlie", "Milo", "Coco", "Rocky", "Daisy", "Oliver", "Lola"]
MEDICATIONS = ["ibuprofen", "vitamin D", "amoxicillin", "allergy pills", "insulin", "iron supplements",
               "blood pressure pills", "melatonin"]
RESTAURANTS = ["Nobu", "Olive Garden", "the Thai place", "Chez Panisse", "Shake Shack", "Pizza Express",
               "the sushi bar", "Joe's Diner", "Luigi's", "the Indian restaurant"]
CUISINES = ["italian", "japanese", "mexican", "thai", "indian", "french", "chinese", "greek", "korean", "vegan"]
PLANTS = ["basil", "monstera", "fern", "tomato plants", "succulents", "orchid", "lawn", "roses", "herb garden"]
COURSES = ["Calculus", "Biology", "World History", "Chemistry", "Spanish 101", "Physics", "Statistics", "Art"]
VEHICLES = ["Model 3", "the car", "Civic", "the truck", "Prius", "Mustang", "the van"]
PACKAGES = ["1Z999AA10123456784", "9400111899223197428490", "TBA123456789000", "LX123456789US", "7712345678901"]
REPOS = ["frontend", "api-server", "mobile-app", "docs", "infra", "data-pipeline", "design-system"]
BRANCHES = ["main", "develop", "feature/login", "hotfix/crash", "release/2.1", "staging"]
SERVERS = ["web-01", "db-primary", "cache-2", "worker-7", "staging", "api-gateway", "prod-east"]
SHIFTS = ["morning", "evening", "night", "weekend", "early"]
WORDS = ["serendipity", "ephemeral", "ubiquitous", "resilient", "eloquent", "candid", "pragmatic", "meticulous",
         "ambiguous", "benevolent", "gregarious", "nostalgia", "whimsical", "tenacious", "lucid", "quaint"]
UNITS = ["miles", "kilometers", "pounds", "kilograms", "cups", "liters", "ounces", "grams", "feet", "meters",
         "inches", "centimeters", "gallons", "celsius", "fahrenheit"]
ORDER_IDS = ["A1029", "ORD-55812", "112-4432190", "W88231", "ORD-10077", "B7721", "X-40217"]
FLIGHTS = ["UA 921", "BA 117", "DL 405", "LH 400", "AF 66", "EK 215", "QF 12", "AA 100", "KL 641"]
STATUSES = ["in a meeting", "out for lunch", "working from home", "on vacation", "focusing", "commuting",
            "back at 3", "sick today", "heads down on the release"]
POSTS = ["just finished my first marathon", "new blog post is up", "beautiful sunset tonight",
         "excited to start my new job", "best coffee in town", "happy friday everyone", "we are hiring"]
ISSUES = ["login page crashes on submit", "update the README", "dark mode colors are off", "slow search results",
          "add export to CSV", "memory leak in worker", "broken link in footer", "flaky integration test"]
EVENT_NAMES = ["Coldplay concert", "Hamilton", "the Lakers game", "Jazz Festival", "Comic Con", "the opera",
               "Taylor Swift concert", "the Arsenal match", "Cirque du Soleil", "the film festival"]
CAMERAS = ["front door", "backyard", "garage", "driveway", "nursery", "living room", "side gate"]
SYMPTOMS = ["headache", "sore throat", "back pain", "nausea", "fever", "dizziness", "a cough", "fatigue",
            "a rash", "knee pain", "insomnia", "stomach ache"]
ZONES = ["front yard", "back yard", "vegetable bed", "flower bed", "side lawn", "greenhouse"]

ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
        "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def number_words(n):
    """English words for 0 <= n < 1000: 25 -> "twenty-five", 120 -> "one hundred twenty"."""
    if n < 20:
        return ONES[n]
    if n < 100:
        return TENS[n // 10] + ("" if n % 10 == 0 else "-" + ONES[n % 10])
    rest = n % 100
    return ONES[n // 100] + " hundred" + ("" if rest == 0 else " " + number_words(rest))


def pick(rng, pool):
    return pool[rng.randrange(len(pool))]


def person(rng):
    return pick(rng, FIRST) if rng.random() < 0.6 else pick(rng, FIRST) + " " + pick(rng, LAST)


def email(rng):
    first, last = pick(rng, FIRST).lower(), pick(rng, LAST).lower()
    local = rng.choice([first, first + "." + last, first[0] + last, first + str(rng.randrange(1, 99))])
    return local + "@" + pick(rng, DOMAINS)


def phone(rng):
    style = rng.randrange(3)
    if style == 0:
        return f"555-{rng.randrange(100, 999)}-{rng.randrange(1000, 9999)}"
    if style == 1:
        return f"+1 {rng.randrange(200, 999)} 555 {rng.randrange(1000, 9999)}"
    return f"+44 {rng.randrange(7000, 7999)} {rng.randrange(100000, 999999)}"


def integer_value(lo, hi):
    """An integer kind in [lo, hi]: written in words a quarter of the time when <= 100."""
    def draw(rng):
        n = rng.randint(lo, hi)
        if n <= 100 and rng.random() < 0.25:
            return number_words(n), n
        return str(n), n
    return draw


def number_value(lo, hi, decimals):
    """A number kind: digits with up to `decimals` places (a whole number stays an int)."""
    def draw(rng):
        if decimals and rng.random() < 0.6:
            x = round(rng.uniform(lo, hi), decimals)
            return f"{x:.{decimals}f}", float(f"{x:.{decimals}f}")
        n = rng.randint(int(lo), int(hi))
        return str(n), n
    return draw


def string_pool(pool):
    def draw(rng):
        s = pick(rng, pool)
        return s, s
    return draw


def string_fn(fn):
    def draw(rng):
        s = fn(rng)
        return s, s
    return draw


KINDS = {
    "city": string_pool(CITIES), "person": string_fn(person), "first_name": string_pool(FIRST),
    "email": string_fn(email), "phone": string_fn(phone), "message": string_pool(MESSAGES),
    "subject": string_pool(SUBJECTS), "event": string_pool(EVENTS), "task": string_pool(TASKS),
    "note": string_pool(NOTES), "song": string_pool(SONGS), "artist": string_pool(ARTISTS),
    "playlist": string_pool(PLAYLISTS), "podcast": string_pool(PODCASTS), "genre": string_pool(GENRES),
    "room": string_pool(ROOMS), "device": string_pool(DEVICES), "app": string_pool(APPS),
    "search": string_pool(SEARCHES), "file": string_pool(FILES), "folder": string_pool(FOLDERS),
    "item": string_pool(ITEMS), "product": string_pool(PRODUCTS), "address": string_pool(ADDRESSES),
    "place": string_pool(PLACES + ADDRESSES + CITIES[:30]), "ticker": string_pool(TICKERS),
    "currency": string_pool(CURRENCIES), "language": string_pool(LANGUAGES), "text": string_pool(TEXTS),
    "date": string_pool(DATES), "time": string_pool(TIMES), "team": string_pool(TEAMS),
    "topic": string_pool(NEWS_TOPICS), "movie": string_pool(MOVIES), "show": string_pool(SHOWS),
    "book": string_pool(BOOKS), "wifi": string_pool(WIFI), "bt_device": string_pool(BT_DEVICES),
    "account": string_pool(ACCOUNTS), "payee": string_pool(PAYEES), "category": string_pool(CATEGORIES),
    "label": string_pool(LABELS), "channel": string_pool(CHANNELS), "url": string_pool(URLS),
    "color": string_pool(COLORS), "scene": string_pool(SCENES), "recipe": string_pool(RECIPES),
    "ingredient": string_pool(INGREDIENTS), "airport": string_pool(AIRPORTS), "airline": string_pool(AIRLINES),
    "hotel": string_pool(HOTELS), "exercise": string_pool(EXERCISES), "pet": string_pool(PETS),
    "medication": string_pool(MEDICATIONS), "restaurant": string_pool(RESTAURANTS),
    "cuisine": string_pool(CUISINES), "plant": string_pool(PLANTS), "course": string_pool(COURSES),
    "vehicle": string_pool(VEHICLES), "tracking": string_pool(PACKAGES), "repo": string_pool(REPOS),
    "branch": string_pool(BRANCHES), "server": string_pool(SERVERS), "shift": string_pool(SHIFTS),
    "minutes": integer_value(1, 90), "seconds": integer_value(5, 120), "hours": integer_value(1, 12),
    "count": integer_value(1, 12), "small_count": integer_value(1, 8), "percent": integer_value(0, 100),
    "level": integer_value(1, 10), "days": integer_value(1, 30), "year": integer_value(1990, 2025),
    "people": integer_value(1, 12), "floor": integer_value(1, 40), "channel_number": integer_value(1, 999),
    "temperature": number_value(16, 30, 1), "temperature_f": number_value(60, 85, 0),
    "amount": number_value(5, 500, 2), "big_amount": number_value(100, 5000, 2), "price": number_value(1, 300, 2),
    "weight": number_value(40, 120, 1), "distance": number_value(1, 42, 1), "rating": number_value(1, 5, 1),
    "speed": number_value(0.5, 3, 1), "word": string_pool(WORDS), "unit": string_pool(UNITS),
    "order_id": string_pool(ORDER_IDS), "flight": string_pool(FLIGHTS), "status": string_pool(STATUSES),
    "post": string_pool(POSTS), "issue": string_pool(ISSUES), "event_name": string_pool(EVENT_NAMES),
    "camera": string_pool(CAMERAS), "zone": string_pool(ZONES), "pr_number": integer_value(1, 999),
    "season": integer_value(1, 8), "episode": integer_value(1, 12), "quantity": integer_value(1, 10),
    "nights": integer_value(1, 14), "glasses": integer_value(1, 12), "steps": integer_value(1000, 20000),
    "zone_number": integer_value(100, 999), "page": integer_value(1, 400), "symptom": string_pool(SYMPTOMS),
    "pin": string_fn(lambda rng: f"{rng.randrange(10000):04d}"),
}
