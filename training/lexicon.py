"""Words for the tool-surface generator (surface.py): verb groups, nouns,
parameter roles, description templates and made-up syllables.

Written by hand for the generator, independently of the hand-written
evaluation set: no noun here names a kind of tool of the set's "unseen" cases
(eval_kinds_absent() in surface.py checks it against their tool_kind labels),
and none names a family that data.py holds out for test_unseen.
"""

# Verb groups: (group, words for tool names, phrases for requests, description verbs).
# A request says one of the group's phrases; the tool's name and description
# use one of its name words or description verbs: matching a request to a tool
# means knowing that "add" and "create" belong together, and that "delete" does not.
VERBS = [
    ("create", ["create", "add", "new", "make"], ["create", "add", "make", "set up"], ["Creates", "Adds", "Makes"]),
    ("delete", ["delete", "remove", "drop", "cancel"], ["delete", "remove", "get rid of", "cancel", "drop"], ["Deletes", "Removes", "Cancels"]),
    ("get", ["get", "fetch", "lookup", "show", "read", "check", "view"], ["get", "show me", "check", "look up", "fetch", "pull up", "read me"], ["Gets", "Returns", "Shows", "Looks up", "Fetches"]),
    ("list", ["list", "all", "browse"], ["list", "list all", "show all", "browse"], ["Lists", "Shows all"]),
    ("set", ["set", "update", "change", "adjust", "configure"], ["set", "change", "update", "adjust"], ["Sets", "Updates", "Changes"]),
    ("start", ["start", "begin", "launch", "run"], ["start", "begin", "kick off", "launch"], ["Starts", "Begins", "Launches"]),
    ("stop", ["stop", "end", "halt", "finish"], ["stop", "end", "halt", "finish"], ["Stops", "Ends"]),
    ("send", ["send", "share", "post", "submit"], ["send", "share", "post", "submit"], ["Sends", "Shares", "Posts"]),
    ("book", ["book", "reserve"], ["book", "reserve"], ["Books", "Reserves"]),
    ("order", ["order", "buy", "purchase"], ["order", "buy", "purchase"], ["Orders", "Buys"]),
    ("open", ["open", "unlock"], ["open", "unlock"], ["Opens", "Unlocks"]),
    ("close", ["close", "lock", "shut"], ["close", "lock", "shut"], ["Closes", "Locks"]),
    ("extend", ["extend", "prolong"], ["extend", "prolong"], ["Extends"]),
    ("record", ["log", "record", "track"], ["log", "record", "note down", "track"], ["Logs", "Records"]),
    ("search", ["search", "find", "query"], ["search for", "find", "search", "look for"], ["Searches for", "Finds"]),
    ("rename", ["rename"], ["rename"], ["Renames"]),
    ("archive", ["archive", "store"], ["archive", "store away"], ["Archives"]),
    ("rate", ["rate", "review", "score"], ["rate", "review", "give a rating to"], ["Rates", "Reviews"]),
    ("pause", ["pause", "suspend", "hold"], ["pause", "suspend", "put on hold"], ["Pauses", "Suspends"]),
    ("resume", ["resume", "continue", "unpause"], ["resume", "continue", "unpause"], ["Resumes"]),
    ("schedule", ["schedule", "plan"], ["schedule", "plan"], ["Schedules", "Plans"]),
    ("print", ["print"], ["print", "print out"], ["Prints"]),
    ("scan", ["scan", "inspect"], ["scan", "inspect"], ["Scans", "Inspects"]),
    ("reset", ["reset", "clear", "wipe"], ["reset", "clear", "wipe"], ["Resets", "Clears"]),
    ("invite", ["invite"], ["invite", "ask"], ["Invites"]),
    ("copy", ["copy", "duplicate", "clone"], ["copy", "duplicate", "clone"], ["Copies", "Duplicates"]),
    ("move", ["move", "transfer", "relocate"], ["move", "transfer", "relocate"], ["Moves", "Transfers"]),
    ("export", ["export", "download"], ["export", "download"], ["Exports", "Downloads"]),
    ("clean", ["clean", "wash"], ["clean", "wash"], ["Cleans", "Washes"]),
    ("charge", ["charge", "refill", "top_up"], ["charge", "refill", "top up"], ["Charges", "Refills"]),
    ("assign", ["assign", "allocate"], ["assign", "allocate"], ["Assigns"]),
    ("approve", ["approve", "accept", "confirm"], ["approve", "accept", "confirm"], ["Approves", "Confirms"]),
    ("reject", ["reject", "decline", "deny"], ["reject", "decline", "deny"], ["Rejects", "Declines"]),
    ("hide", ["hide", "mute"], ["hide", "mute"], ["Hides", "Mutes"]),
    ("measure", ["measure", "estimate"], ["measure", "estimate"], ["Measures", "Estimates"]),
]

# Boolean tools: "turn the <noun> on/off" and the like; the parameter is a boolean.
TOGGLE_NAMES = ["toggle", "switch", "set", "power", "turn"]
TOGGLE_SAY = [("turn on the {}", "turn off the {}"), ("switch the {} on", "switch the {} off"),
              ("enable the {}", "disable the {}"), ("{} on", "{} off"), ("activate the {}", "deactivate the {}"),
              ("power on the {}", "power off the {}")]

# Nouns: (words for names, words for requests and descriptions).
NOUNS = [
    (["invitation"], ["invitation", "invite"]), (["reservation"], ["reservation"]),
    (["subscription"], ["subscription", "membership"]), (["backup"], ["backup", "snapshot"]),
    (["report"], ["report"]), (["drone"], ["drone"]), (["telescope"], ["telescope"]), (["kiln"], ["kiln"]),
    (["aquarium"], ["aquarium", "fish tank"]), (["sauna"], ["sauna"]), (["printer"], ["printer"]),
    (["scanner"], ["scanner"]), (["projector"], ["projector"]), (["vacuum"], ["vacuum", "robot vacuum"]),
    (["dishwasher"], ["dishwasher"]), (["fridge"], ["fridge", "refrigerator"]), (["freezer"], ["freezer"]),
    (["oven"], ["oven"]), (["grill"], ["grill", "barbecue"]), (["hot_tub"], ["hot tub", "jacuzzi"]),
    (["fireplace"], ["fireplace"]), (["doorbell"], ["doorbell"]), (["gate"], ["gate"]),
    (["fountain"], ["fountain"]), (["greenhouse_fan"], ["greenhouse fan"]), (["heat_pump"], ["heat pump"]),
    (["water_heater"], ["water heater", "boiler"]), (["humidifier"], ["humidifier"]),
    (["survey"], ["survey", "questionnaire"]), (["petition"], ["petition"]), (["ticket_queue"], ["support queue"]),
    (["shift"], ["shift", "work shift"]), (["payslip"], ["payslip", "pay stub"]), (["expense_claim"], ["expense claim"]),
    (["timeline"], ["timeline"]), (["roadmap"], ["roadmap"]), (["milestone"], ["milestone"]),
    (["sprint"], ["sprint"]), (["budget"], ["budget"]), (["receipt"], ["receipt"]), (["voucher"], ["voucher", "coupon"]),
    (["warranty"], ["warranty"]), (["insurance_claim"], ["insurance claim", "claim"]), (["refund"], ["refund"]),
    (["donation"], ["donation"]), (["playlist"], ["playlist", "mix"]), (["album"], ["album", "photo album"]),
    (["slideshow"], ["slideshow"]), (["podcast_episode"], ["episode"]), (["audiobook"], ["audiobook"]),
    (["meal_plan"], ["meal plan"]), (["grocery_order"], ["grocery order"]),
    (["seat"], ["seat"]), (["boarding_pass"], ["boarding pass"]), (["visa_application"], ["visa application"]),
    (["itinerary"], ["itinerary", "trip plan"]), (["route"], ["route"]), (["ferry"], ["ferry", "ferry crossing"]),
    (["taxi"], ["taxi", "cab"]), (["scooter"], ["scooter", "e-scooter"]), (["train_ticket"], ["train ticket"]),
    (["workspace"], ["workspace", "desk"]), (["meeting_room"], ["meeting room", "conference room"]),
    (["badge"], ["badge", "access badge"]), (["visitor_pass"], ["visitor pass"]), (["mailbox"], ["mailbox"]),
    (["newsletter"], ["newsletter"]), (["bookmark"], ["bookmark"]), (["tab"], ["tab", "browser tab"]),
    (["popup"], ["popup", "pop-up window"]), (["screen_recording"], ["screen recording"]), (["wallpaper"], ["wallpaper", "background"]),
    (["font"], ["font", "typeface"]), (["theme"], ["theme"]), (["keyboard_layout"], ["keyboard layout"]),
    (["hotspot"], ["hotspot"]), (["vpn"], ["VPN", "vpn connection"]), (["firewall"], ["firewall"]),
    (["cache"], ["cache"]), (["log_file"], ["log file", "logs"]), (["spreadsheet"], ["spreadsheet", "sheet"]),
    (["document"], ["document", "doc"]), (["draft"], ["draft"]), (["template"], ["template"]),
    (["signature"], ["signature"]), (["contract"], ["contract", "agreement"]), (["quote"], ["quote", "estimate"]),
    (["order"], ["order"]), (["wishlist"], ["wishlist", "wish list"]), (["cart"], ["cart", "basket"]),
    (["review"], ["review"]), (["rating"], ["rating"]), (["forum_post"], ["forum post", "thread"]),
    (["comment"], ["comment"]), (["photo"], ["photo", "picture"]), (["video_clip"], ["video clip", "clip"]),
    (["sticker"], ["sticker"]), (["avatar"], ["avatar", "profile picture"]), (["profile"], ["profile"]),
    (["vault"], ["vault", "safe"]), (["two_factor"], ["two-factor login"]), (["garage_door"], ["garage door"]),
    (["window_shades"], ["shades", "window shades"]), (["ceiling_fan"], ["ceiling fan"]), (["air_purifier"], ["air purifier"]),
    (["pool_pump"], ["pool pump"]), (["irrigation"], ["irrigation"]), (["solar_panel"], ["solar panels"]),
    (["battery_pack"], ["battery pack", "power bank"]), (["router"], ["router"]), (["nas"], ["NAS", "network drive"]),
    (["speaker_group"], ["speaker group"]), (["intercom"], ["intercom"]), (["nursery_monitor"], ["nursery monitor"]),
    (["smoke_alarm"], ["smoke alarm"]), (["water_leak_sensor"], ["leak sensor"]), (["carpool"], ["carpool"]),
    (["laundry"], ["laundry", "washing"]), (["chore"], ["chore"]), (["allowance"], ["allowance", "pocket money"]),
    (["chess_game"], ["chess game"]), (["puzzle"], ["puzzle"]), (["quiz"], ["quiz"]), (["workout_plan"], ["workout plan"]),
    (["water_bottle"], ["smart bottle"]), (["sleep_schedule"], ["sleep schedule", "bedtime"]),
    (["habit"], ["habit"]), (["streak"], ["streak"]), (["journal_entry"], ["journal entry", "diary entry"]),
    (["mood"], ["mood"]), (["goal"], ["goal"]), (["stopwatch"], ["stopwatch"]),
    (["metronome"], ["metronome"]), (["tuner"], ["tuner", "guitar tuner"]), (["radio_station"], ["radio station", "station"]),
    (["channel"], ["channel"]), (["forecast"], ["forecast"]), (["exchange_rate"], ["exchange rate"]),
    (["delivery_slot"], ["delivery slot"]), (["pickup"], ["pickup"]), (["return_label"], ["return label"]),
    (["storage_unit"], ["storage unit"]), (["moving_van"], ["moving van"]), (["cleaner"], ["cleaner", "cleaning service"]),
    (["plumber"], ["plumber"]), (["electrician"], ["electrician"]), (["tutor_session"], ["tutoring session"]),
    (["language_lesson"], ["language lesson"]), (["yoga_class"], ["yoga class"]), (["massage"], ["massage"]),
    (["eye_exam"], ["eye exam"]), (["blood_test"], ["blood test"]), (["vaccination"], ["vaccination", "shot"]),
    (["prescription"], ["prescription"]), (["hearing_aid"], ["hearing aid"]), (["wheelchair"], ["wheelchair"]),
]

# Parameter roles: (role, parameter names, JSON type, value kind in values.KINDS or a
# generator here, mention phrases with "{}" for the value, parameter descriptions).
ROLES = {
    "city": (["location", "city", "place", "where", "town", "city_name", "loc"], "string", "city",
             ["in {}", "for {}", "near {}"], ["City name", "The city", "Where", "Location", "Town or city"]),
    "person": (["contact", "recipient", "person", "name", "who", "friend", "user", "member"], "string", "person",
               ["for {}", "with {}", "to {}"], ["Who", "Contact name", "The person", "Full name"]),
    "email": (["email", "address", "recipient_email", "email_address", "mail"], "string", "email",
              ["to {}", "for {}"], ["Email address", "Where to send it", "Address"]),
    "time": (["time", "at", "when", "start_time", "hour", "time_of_day"], "string", "time",
             ["at {}"], ["Time of day", "When", "Start time", "Time, like 9am"]),
    "date": (["date", "day", "on", "due", "due_date", "when_day"], "string", "date",
             ["on {}", "for {}"], ["Day", "Date", "Which day", "Due date"]),
    "count": (["count", "number", "n", "quantity", "how_many", "num", "amount"], "integer", "count",
              ["x{}", "quantity {}", "{} of them", "count {}", "{} units"], ["How many", "Number of items", "Quantity", "Count"]),
    "minutes": (["minutes", "duration", "duration_minutes", "mins", "length"], "integer", "minutes",
                ["for {} minutes", "for {} min", "lasting {} minutes"], ["Minutes", "Duration in minutes", "Length (min)"]),
    "hours": (["hours", "duration_hours", "hrs"], "integer", "hours",
              ["for {} hours", "for {} hrs"], ["Hours", "Duration in hours"]),
    "money": (["amount", "value", "sum", "price", "total", "cost"], "number", "amount",
              ["for {} dollars", "for ${}", "of {} euros", "worth {}"], ["Amount", "Amount in dollars", "Price", "Total"]),
    "message": (["message", "text", "body", "content", "note", "msg"], "string", "message",
                ["saying {}", "that says {}", 'with the text "{}"', ': "{}"'], ["Text", "The message", "What to say", "Body"]),
    "title": (["title", "name", "label", "item", "item_name", "called"], "string", "title",
              ["called {}", "named {}", '"{}"', "titled {}"], ["Title", "Name", "Label", "What it is called"]),
    "ref": (["id", "reference", "code", "ref", "ticket_id", "number", "order_number"], "string", "ref",
            ["{}", "number {}", "#{}", "with id {}", "ref {}"], ["Identifier", "Reference code", "ID", "Its number"]),
    "url": (["url", "link", "website", "site", "page"], "string", "url",
            ["for {}", "at {}", "{}"], ["Web address", "Link", "URL"]),
    "level": (["level", "percent", "value", "position", "setting", "intensity"], "integer", "percent",
              ["to {}%", "to {} percent", "to {}", "at {}%"], ["0 to 100", "Level in percent", "Percent", "Setting"]),
    "degrees": (["temperature", "degrees", "temp", "target"], "number", "temperature",
                ["to {} degrees", "to {}", "at {} degrees"], ["Degrees", "Target temperature", "Temperature"]),
    "language": (["language", "target_language", "lang", "to_language", "locale"], "string", "language",
                 ["into {}", "in {}", "to {}"], ["Language", "Target language", "Which language"]),
    "color": (["color", "colour", "shade", "hue"], "string", "color",
              ["in {}", "to {}", "{}"], ["Colour", "Color name", "Shade"]),
    "room": (["room", "area", "zone", "space", "location"], "string", "room",
             ["in the {}", "for the {}", "in {}"], ["Room", "Which room", "Area of the house"]),
    "query": (["query", "q", "search", "keywords", "terms", "search_term", "text"], "string", "search",
              ["for {}", "about {}", "matching {}"], ["Search terms", "What to look for", "Keywords", "Query"]),
    "phone": (["phone", "number", "phone_number", "mobile", "tel"], "string", "phone",
              ["on {}", "at {}", "to {}"], ["Phone number", "Number to use", "Mobile number"]),
    "destination": (["destination", "to", "where", "address", "dropoff"], "string", "place",
                    ["to {}", "for {}"], ["Where to", "Destination", "Address"]),
}
# Enum parameters: (parameter names, value sets).
ENUM_NAMES = ["mode", "type", "kind", "size", "style", "level", "category", "option", "speed", "priority", "plan",
              "tier", "format", "frequency", "visibility"]
ENUM_VALUES = [["small", "medium", "large"], ["low", "medium", "high"], ["slow", "normal", "fast"],
               ["daily", "weekly", "monthly"], ["public", "private"], ["basic", "standard", "premium"],
               ["pdf", "csv", "docx"], ["eco", "normal", "turbo"], ["silent", "quiet", "loud"],
               ["north", "south", "east", "west"], ["morning", "afternoon", "evening"], ["single", "double", "family"],
               ["urgent", "normal", "whenever"], ["indoor", "outdoor"], ["draft", "final"], ["mild", "hot", "extra hot"],
               ["auto", "manual"], ["short", "long"], ["left", "right"], ["gold", "silver", "bronze"]]
ENUM_SAY = ["{}", "in {} mode", "set to {}", "({})", "with {}"]

# Tool descriptions: "{V}" a description verb ("Creates"), "{v}" a request
# phrase ("create"), "{n}" the noun, "{a}" its article form ("a report"),
# "{p}" the parameters' names, "{x}" an example request.
DESCRIPTIONS = ["{V} {a}.", "{V} {a}.", "{V} the {n}.", "{V} {a} for the user.", "Use this to {v} {a}.",
                "{V} {a}. Parameters: {p}.", "{V} {a} in the user's account.", "{V} {a}. Example: \"{x}\"",
                "Call when the user wants to {v} {a}.", "{n}: {v}.", "{V} {a} ({p}).",
                "{V} {a}. Returns a confirmation.", "{V} {a}; e.g. \"{x}\".", "{v} {n}", "Lets you {v} {a}.",
                "{V} {a}. Requires {p}.", "Tool that can {v} {a}.", "{V} {a} by {p}."]

# Syllables for made-up words ("zindle", "blorpa"): learnt only by matching letters.
ONSETS = ["b", "bl", "br", "d", "dr", "f", "fl", "fr", "g", "gl", "gr", "j", "k", "kl", "m", "n", "p", "pl", "pr",
          "qu", "r", "s", "sk", "sl", "sn", "sp", "st", "t", "tr", "v", "w", "z", "zh", "sh", "ch", "th"]
VOWELS = ["a", "e", "i", "o", "u", "oo", "ee", "ai", "ou", "y"]
CODAS = ["", "", "b", "ck", "d", "g", "k", "l", "m", "n", "nk", "p", "r", "rp", "sh", "t", "x", "z", "ng", "ndle", "mble"]
