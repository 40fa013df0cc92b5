"""Off-topic requests that no tool serves (their answer is `[]`).

Fixed small talk plus templated general-knowledge and opinion questions;
templates and fixed lines are split train / val / test like the tool frames,
so held-out splits ask for nothing in ways never seen in training. None of
them names an action of the catalog (no weather, timers, searches, ...).
"""

COUNTRIES = ["France", "Japan", "Brazil", "Kenya", "Canada", "Australia", "Norway", "Egypt", "Peru", "India",
             "Mexico", "Vietnam", "Chile", "Poland", "Ghana", "Iceland", "Argentina", "Thailand", "Morocco"]
ANIMALS = ["cat", "dog", "octopus", "penguin", "elephant", "giraffe", "owl", "dolphin", "bee", "shark", "koala",
           "camel", "frog", "parrot", "wolf", "horse", "spider", "whale", "otter", "tiger"]
CONCEPTS = ["gravity", "photosynthesis", "inflation", "the internet", "black holes", "vaccines", "democracy",
            "blockchain", "evolution", "rainbows", "tides", "electricity", "compound interest", "DNA", "magnets",
            "machine learning", "the stock market", "climate change", "earthquakes", "relativity"]
PEOPLE = ["Marie Curie", "Albert Einstein", "Cleopatra", "Leonardo da Vinci", "Ada Lovelace", "Nelson Mandela",
          "Frida Kahlo", "Isaac Newton", "Mozart", "Shakespeare", "Genghis Khan", "Amelia Earhart", "Galileo"]
LANDMARKS = ["the Eiffel Tower", "Mount Everest", "the Statue of Liberty", "Big Ben", "the Great Wall",
             "the Burj Khalifa", "Machu Picchu", "the Colosseum", "the Golden Gate Bridge", "Kilimanjaro"]
THINGS = ["color", "food", "season", "animal", "number", "planet", "word", "holiday", "sport", "dessert"]
FEELINGS = ["tired", "happy", "stressed", "bored", "excited", "lonely", "nervous", "grateful", "sad", "great"]
PAIRS = [("a virus", "a bacterium"), ("weather", "climate"), ("a frog", "a toad"), ("baking soda", "baking powder"),
         ("a crocodile", "an alligator"), ("speed", "velocity"), ("a lake", "a pond"), ("empathy", "sympathy")]
EVENTS = ["the moon landing", "the French Revolution", "the fall of Rome", "World War I", "the first Olympics",
          "the invention of the printing press", "the Renaissance"]

TEMPLATES = {
    "train": ["what is the capital of {country}", "how tall is {landmark}", "tell me a joke about {animal}s",
              "what does a {animal} eat", "explain {concept} to me", "how does {concept} work",
              "who was {person}", "what's your favorite {thing}?", "I feel {feeling} today",
              "write a short poem about {concept}", "is a {animal} a mammal?", "why do {animal}s sleep so much",
              "what language do they speak in {country}", "when did {event} happen",
              "give me a fun fact about {person}", "do you like {animal}s?", "how old is {landmark}",
              "what is the difference between {a} and {b}"],
    "val": ["what's the population of {country}", "what's so special about {landmark}", "I'm feeling {feeling}",
            "teach me something about {concept}"],
    "test": ["can you explain {concept} in simple terms", "what made {person} famous", "are {animal}s smart?",
             "what's the national dish of {country}", "how is {a} different from {b}"],
}
FIXED = {
    "train": ["tell me a joke", "how are you today?", "what's the meaning of life", "who won the world cup in 2010",
              "thanks, that's all", "good morning!", "what is the capital of Australia", "explain photosynthesis",
              "how many legs does a spider have", "you're awesome", "what's your name?", "sing me a song",
              "what year did the Berlin wall fall", "how do magnets work", "what's 17 times 23", "hello",
              "never mind", "who wrote Hamlet", "is a tomato a fruit?", "what should I name my dog",
              "why is the sky blue", "tell me something interesting", "ok cool", "how far is the moon",
              "I'm bored", "what is love", "do you dream?", "recommend a good book", "what's the tallest building",
              "that's wrong", "can you keep a secret?", "summarize the plot of Hamlet", "who painted the Mona Lisa",
              "how do airplanes fly", "is coffee bad for you", "write me a haiku about rain",
              "what's the speed of light", "bye", "thank you so much", "good night", "nothing, forget it",
              "are you a robot?", "what can you do?", "lol that's funny", "who are you"],
    "val": ["what's the biggest ocean", "you there?", "how old is the universe", "tell me a fun fact",
            "what language is spoken in Brazil", "cheers mate", "see you later"],
    "test": ["what is the square root of 144", "who discovered penicillin", "I had a rough day",
             "how do bees make honey", "what's the best programming language", "lol", "which planet is the hottest",
             "give me a motivational quote", "have a nice day", "how's it going?"],
}
FILLERS = {"country": COUNTRIES, "animal": ANIMALS, "concept": CONCEPTS, "person": PEOPLE, "landmark": LANDMARKS,
           "thing": THINGS, "feeling": FEELINGS, "event": EVENTS}


def chitchat(split, rng):
    """(query text, template id) of an off-topic request for a frame split (train | val | test)."""
    if rng.random() < 0.35:
        return rng.choice(FIXED[split]), "chitchat:fixed"
    template = rng.choice(TEMPLATES[split])
    a, b = rng.choice(PAIRS)
    fill = {name: rng.choice(pool) for name, pool in FILLERS.items()}
    return template.format(a=a, b=b, **fill), "chitchat:" + template
