#include "extract/patterns.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <initializer_list>
#include <optional>
#include <string_view>

#include "common/category_lexicon.h"
#include "common/utf8.h"

namespace engram {
namespace {

std::string BaseVerb(std::string_view verb);

constexpr size_t kNone = static_cast<size_t>(-1);

template <size_t N>
bool In(std::string_view w, const std::string_view (&list)[N]) {
  return std::find(std::begin(list), std::end(list), w) != std::end(list);
}

// --- Lexicons ----------------------------------------------------------------

constexpr std::string_view kDeterminers[] = {
    "a", "an", "the", "some", "my", "our", "your", "his", "her", "their", "this", "that", "these", "those", "any",
    "another", "lots", "plenty"};

// Words that end a noun phrase: conjunctions, most prepositions, time words
// and adverbs.
constexpr std::string_view kNpStops[] = {
    "and", "but", "or", "so", "because", "since", "when", "while", "which", "that", "who", "where", "if",
    "though", "although", "cause", "as", "than", "with", "at", "in", "on", "for", "from", "to", "about",
    "after", "before", "during", "into", "like", "by", "without", "around", "near", "over", "under", "through",
    "yesterday", "today", "tonight", "tomorrow", "now", "lately", "recently", "again", "too", "anymore",
    "already", "every", "each", "last", "next", "very", "really", "much", "more", "most", "right", "ago",
    "either", "also", "well", "soon", "sometimes", "often", "always", "never", "together", "here", "there",
    "all", "is", "was", "are", "were", "be", "been", "it", "just", "even", "then", "nowadays", "these",
    "anyway", "ever", "i", "i'm", "i've", "i'll", "i'd", "we", "you", "he", "she", "they", "it's", "named", "rn",
    "atm",
    "called", "who's", "because", "but", "has", "had", "have", "will", "would", "can", "could", "should",
    "downtown", "nearby", "abroad", "overseas", "outside", "full", "ago", "keeps", "makes", "helps", "gets",
    "above", "below", "beneath", "underneath", "behind", "beside", "besides", "between", "among", "across",
    "along", "against", "within", "inside", "opposite", "toward", "towards", "upon", "via", "despite", "except",
    // chat fillers ("not really into cricket tbh") and spans of time
    // ("stopped eating pork years ago")
    "tbh", "lol", "honestly", "haha", "lmao", "btw", "ngl", "tho", "imo", "years", "months", "weeks", "days"};

constexpr std::string_view kNumberWords[] = {"two", "three", "four", "five", "six", "seven", "eight",
                                             "nine", "ten", "eleven", "twelve", "several", "few", "many"};

// Heads of groups one can be a member of.
constexpr std::string_view kGroups[] = {"club",    "team",      "band",  "choir", "group",     "league",
                                        "association", "society", "orchestra", "crew", "committee", "troupe"};

// Group heads that alone name no group: "I joined a team" ("a choir" or
// "a band" says what the group does).
constexpr std::string_view kGenericGroups[] = {"team", "group", "club", "crew", "committee", "league",
                                               "association", "society"};

// Words in -ly that are not adverbs.
constexpr std::string_view kLyNouns[] = {"family", "italy", "july", "rally", "belly", "jelly", "holly", "lily",
                                         "bully", "supply", "reply", "assembly", "butterfly", "firefly", "ally",
                                         "anomaly", "monopoly", "homily", "emily", "kelly", "sicily"};

constexpr std::string_view kNonObjects[] = {
    "it", "this", "that", "them", "you", "him", "her", "me", "us", "myself", "everything", "something",
    "anything", "nothing", "one", "lot", "those", "these", "what", "how", "doing", "being", "yourself", "all",
    "ton", "tons", "bunch", "lots"};

constexpr std::string_view kFillerAdjectives[] = {
    "new", "brand", "brand-new", "own", "very", "first", "little", "second", "few", "couple", "used",
    "second-hand", "secondhand"};

constexpr std::string_view kJobs[] = {
    "nurse", "teacher", "doctor", "engineer", "developer", "dev", "registrar", "programmer", "designer", "lawyer",
    "accountant", "chef", "cook", "baker", "guide", "writer", "author", "artist", "painter", "musician", "singer",
    "photographer",
    "journalist", "editor", "manager", "consultant", "analyst", "scientist", "researcher", "professor",
    "student", "therapist", "counselor", "counsellor", "psychologist", "pharmacist", "dentist", "vet",
    "veterinarian", "firefighter", "officer", "pilot", "mechanic", "electrician", "plumber", "carpenter",
    "architect", "farmer", "librarian", "cashier", "barista", "waiter", "waitress", "bartender", "driver",
    "paramedic", "surgeon", "physician", "nanny", "caregiver", "worker", "coach", "trainer", "instructor",
    "tutor", "dancer", "actor", "actress", "entrepreneur", "founder", "ceo", "cto", "intern", "assistant",
    "secretary", "receptionist", "clerk", "salesperson", "realtor", "marketer", "recruiter", "banker",
    "economist", "coder", "historian", "biologist", "chemist", "physicist", "mathematician", "statistician",
    "soldier", "streamer", "youtuber", "blogger", "influencer", "composer", "producer", "director",
    "filmmaker", "illustrator", "sculptor", "potter", "tailor", "hairdresser", "stylist", "barber",
    "midwife", "janitor", "guard", "translator", "interpreter", "administrator", "technician", "paralegal",
    "planner", "copywriter", "dietitian", "nutritionist", "gardener", "landscaper", "zookeeper", "ranger",
    // Trades and services people name in chat ("he's a welder", "I'm a courier").
    "welder", "fisherman", "fisher", "roofer", "bricklayer", "builder", "plasterer", "decorator", "joiner",
    "locksmith", "glazier", "tiler", "machinist", "labourer", "laborer", "contractor", "handyman", "butcher",
    "fishmonger", "grocer", "florist", "courier", "postman", "postwoman", "mailman", "policeman",
    "policewoman", "cop", "detective", "sailor", "miner", "beekeeper", "rancher", "shepherd", "brewer",
    "winemaker", "sommelier", "caterer", "cleaner", "housekeeper", "carer", "babysitter", "childminder",
    "lifeguard", "surveyor", "optician", "optometrist", "physiotherapist", "physio", "chiropractor",
    "radiographer", "radiologist", "psychiatrist", "paediatrician", "pediatrician", "anaesthetist",
    "hygienist", "lecturer", "headteacher", "principal", "curator", "archivist", "archaeologist", "geologist",
    "reporter", "publisher", "animator", "auditor", "actuary", "broker", "trader", "bookkeeper", "solicitor",
    "barrister", "attorney", "judge", "diplomat", "dispatcher", "steward", "stewardess", "chauffeur",
    "trucker", "upholsterer", "seamstress", "jeweller", "jeweler", "blacksmith", "pastor", "priest", "vicar",
    "rabbi", "imam", "chaplain", "apprentice", "supervisor", "foreman", "inspector", "draughtsman",
    "draftsman", "videographer", "sonographer", "podiatrist", "dermatologist", "cardiologist", "neurologist"};

constexpr std::string_view kEventHeads[] = {
    "concert", "wedding", "conference", "festival", "party", "workshop", "race", "marathon", "parade", "game",
    "match", "show", "class", "seminar", "retreat", "camp", "funeral", "graduation", "fair", "exhibition",
    "exhibit", "rally", "ceremony", "convention", "meetup", "session", "group", "meeting", "reunion",
    "recital", "play", "performance", "tournament", "competition", "hackathon", "protest", "march", "lecture",
    "talk", "service", "gala", "fundraiser", "event", "classes", "course", "bootcamp", "screening", "opening",
    "premiere", "shower", "picnic", "5k", "fest"};

constexpr std::string_view kPets[] = {
    "dog", "dogs", "cat", "cats", "puppy", "puppies", "kitten", "kittens", "hamster", "hamsters", "parrot",
    "parrots", "rabbit", "rabbits", "bunnies", "horses", "birds", "turtles", "ferrets",
    "bunny", "horse", "fish", "goldfish", "turtle", "tortoise", "snake", "lizard", "bird", "pig", "gecko",
    "ferret", "chinchilla", "hedgehog", "pony", "budgie", "cockatiel", "iguana", "pup", "kitty", "doggo",
    "retriever", "labrador", "poodle", "terrier", "beagle", "husky", "corgi", "pug", "bulldog", "dachshund",
    "chihuahua", "spaniel", "collie"};

// A breed of dog or cat that WordNet knows and kPets does not list
// ("greyhound", "whippet", "siamese"); false without WordNet. Asked only of
// a noun a name follows ("a greyhound named Bran"), so WordNet is read
// only for such statements.
bool IsWordNetBreed(std::string_view noun) {
  const auto lexicon = CategoryLexicon::Shared();
  if (!lexicon->available()) return false;
  const std::string lemma = lexicon->NounLemma(noun);
  if (lemma.empty()) return false;
  for (const char* kind : {"dog", "cat"}) {
    const auto members = lexicon->Members(kind);
    if (members && members->nouns.count(lemma)) return true;
  }
  return false;
}

// "hawk", "goat": an animal WordNet knows (a pet when a name is given to it:
// "a hawk called Lumi").
bool IsWordNetAnimal(std::string_view noun) {
  const auto lexicon = CategoryLexicon::Shared();
  if (!lexicon->available()) return false;
  const std::string lemma = lexicon->NounLemma(noun);
  if (lemma.empty()) return false;
  const auto members = lexicon->Members("animal");
  return members && members->nouns.count(lemma);
}

// "Tartu", "São Paulo": a name WordNet knows only as a place (every sense a
// location). Names that are people too ("Victoria", "Jackson") are not.
bool IsWordNetPlaceName(std::string_view name) {
  const auto lexicon = CategoryLexicon::Shared();
  return lexicon->available() && lexicon->NamesOnlyPlaces(name);
}

// "Amharic", "Malayalam": a natural language WordNet knows.
bool IsWordNetLanguage(std::string_view name) {
  const auto lexicon = CategoryLexicon::Shared();
  if (!lexicon->available()) return false;
  const auto members = lexicon->Members("natural_language");
  if (!members) return false;
  const std::string lemma = AsciiLower(name);
  return members->nouns.count(lemma) > 0 || members->proper.count(lemma) > 0;
}

// Verbs that say what a place is or has: "Tartu is getting expensive",
// "Curitiba has the best bakeries".
constexpr std::string_view kBeingOrHaving[] = {"is", "was", "has", "had", "'s", "seems", "looks", "gets", "got"};

// Dog breeds among kPets: the pet value keeps the breed's modifier ("golden
// retriever Mango"), where a plain pet word keeps only the head ("dog Luna").
constexpr std::string_view kBreeds[] = {"retriever", "labrador", "poodle", "terrier", "beagle", "husky", "corgi",
                                        "pug", "bulldog", "dachshund", "chihuahua", "spaniel", "collie"};

// Activities named without an -ing form: "I started doing yoga", "a chess
// club", "ballet lessons" make hobbies only with one of these (or a gerund).
constexpr std::string_view kActivities[] = {
    "yoga", "pilates", "pottery", "ballet", "salsa", "tango", "karate", "judo", "taekwondo", "jiu-jitsu",
    "kickboxing", "crossfit", "zumba", "archery", "chess", "tennis", "golf", "soccer", "football", "basketball",
    "baseball", "volleyball", "hockey", "rugby", "cricket", "badminton", "softball", "lacrosse", "photography",
    "calligraphy", "origami", "improv", "karaoke", "aikido", "fencing", "parkour", "meditation",
    "ceramics", "woodworking", "embroidery", "crochet", "guitar", "piano", "violin", "cello", "drums", "ukulele",
    "art", "drawing", "dance", "poker", "bridge", "trivia", "scrabble", "quilting", "robotics", "debate",
    "squash", "frisbee", "bowling", "curling", "surf", "ski", "skate", "acting", "drama", "theatre", "theater",
    "choir", "coding"};

// Heads of a course of lessons: "pottery classes" is the hobby pottery.
constexpr std::string_view kLessons[] = {"class", "classes", "lesson", "lessons", "course", "courses",
                                         "workshops", "sessions"};

// The last word of a capitalised name that makes it a place ("Baker Beach",
// "Valencia Street", "Getty Museum", "Blue Bottle Cafe").
constexpr std::string_view kPlaceHeads[] = {
    "street", "st", "avenue", "ave", "road", "rd", "boulevard", "blvd", "lane", "way", "park", "beach",
    "trail", "lake", "river", "mountain", "mountains", "bay", "island", "islands", "canyon", "falls", "bridge",
    "square", "plaza", "museum", "gallery", "cafe", "café", "restaurant", "bistro", "diner", "pub", "tavern",
    "market", "zoo", "aquarium", "garden", "gardens", "hill", "hills", "peak", "forest", "woods", "harbor",
    "harbour", "pier", "coast", "creek", "stadium", "arena", "theater", "theatre", "airport", "station", "mall",
    "village", "county", "reservoir", "glacier", "volcano", "desert", "cathedral", "church", "temple",
    "mosque", "castle", "palace", "tower", "pond", "springs", "valley", "ridge", "point", "cove", "reef"};

// The first word of a capitalised name that makes it a place ("Mount Tam",
// "Lake Merritt", "Point Reyes").
constexpr std::string_view kPlacePrefixes[] = {"mount", "mt",   "lake",  "cape",       "fort",  "isle", "point",
                                                "port",  "café", "cafe",  "restaurant", "hotel", "bar",  "pub",
                                                "bistro", "trattoria",
                                                // other languages ("Cerro Alegre", "Teatro Caupolicán",
                                                // "Parque O'Higgins", "Chez Mehdi")
                                                "cerro", "monte", "playa", "praia", "plaza", "praça", "calle",
                                                "avenida", "rua", "parque", "parc", "museo", "musée", "teatro",
                                                "théâtre", "lago", "isla", "puerto", "porto", "chez", "jardín",
                                                "jardin", "ulica", "rue", "piazza"};

// Kinds of thing a name is said to be ("a startup called Chari", "Enyimba,
// my dad's club", "a guy named Paris").
constexpr std::string_view kPersonKinds[] = {"guy", "girl", "man", "woman", "boy", "lady", "dude", "bloke", "kid",
                                             "person", "friend", "flatmate", "roommate", "housemate", "colleague",
                                             "coworker", "neighbour", "neighbor", "boss", "mentor", "teacher",
                                             "classmate", "bestie", "ex"};
constexpr std::string_view kOrgKinds[] = {"startup", "company", "firm", "band", "club", "team", "agency",
                                          "charity", "label", "brand", "employer", "university", "school"};
constexpr std::string_view kPlaceKinds[] = {"cafe", "café", "restaurant", "bakery", "bar", "pub", "shop", "store",
                                            "gym", "hotel", "street", "town", "village", "neighbourhood",
                                            "neighborhood", "beach", "city", "island", "mountain", "hometown"};
constexpr std::string_view kThingKinds[] = {"app", "game", "show", "book", "podcast", "film", "movie", "series",
                                            "album", "song", "boat", "car", "website", "bike", "motorbike"};
constexpr std::string_view kPossessiveDeterminers[] = {"my", "your", "our", "his", "her", "their"};

// Articles that can open a name in other languages ("Los Bunkers", "El Muro").
constexpr std::string_view kNameArticles[] = {"los", "las", "el", "la", "le", "les", "il", "die", "der", "das",
                                              "het", "de", "lo", "gli"};

// Verbs after which a capitalised name is a title, not a person ("I watched
// Inception", "I'm reading Dune").
// ("watching LeBron" is a person: only past forms of "watch").
constexpr std::string_view kTitleVerbs[] = {"watched", "rewatched", "binged",   "binging", "bingeing", "read",
                                            "reading", "reread",    "rereading", "watching", "rewatching"};
// Nouns after which it is one when they follow a determiner ("the movie
// Parasite", "a book Dune"; not "I'll show Anna").
constexpr std::string_view kTitleNouns[] = {
    "movie", "film", "book", "novel", "show", "series", "album", "song", "podcast", "documentary", "musical",
    "game", "audiobook", "anime", "manga", "sitcom", "memoir", "play"};

// Past-tense verbs of going or staying somewhere: with a named place after a
// preposition they make a visit ("I hiked up Mount Tam", "I stayed in a
// cabin by Crater Lake", "I had brunch at Blue Bottle Cafe").
constexpr std::string_view kTripVerbs[] = {
    "went", "hiked", "walked", "drove", "biked", "cycled", "swam", "spent", "stayed", "camped", "explored",
    "toured", "took", "had", "ran", "flew", "travelled", "traveled", "headed", "stopped", "wandered",
    "kayaked", "paddled", "climbed", "skied", "surfed", "backpacked", "picnicked", "strolled"};

struct Kin {
  std::string_view word;
  std::string_view relation;  // "<name> relation <owner>"
  bool family;
};

constexpr Kin kKin[] = {
    {"sister", "sister_of", true},         {"sisters", "sister_of", true},
    {"brother", "brother_of", true},       {"brothers", "brother_of", true},
    {"mom", "parent_of", true},            {"mum", "parent_of", true},
    {"mother", "parent_of", true},         {"mama", "parent_of", true},
    {"dad", "parent_of", true},            {"father", "parent_of", true},
    {"papa", "parent_of", true},           {"parents", "parent_of", true},
    {"son", "child_of", true},             {"daughter", "child_of", true},
    {"kid", "child_of", true},             {"kids", "child_of", true},
    {"child", "child_of", true},           {"children", "child_of", true},
    {"baby", "child_of", true},            {"sons", "child_of", true},
    {"daughters", "child_of", true},       {"husband", "partner_of", true},
    {"wife", "partner_of", true},          {"partner", "partner_of", true},
    {"boyfriend", "partner_of", true},     {"girlfriend", "partner_of", true},
    {"fiance", "partner_of", true},        {"fiancé", "partner_of", true},
    {"fiancee", "partner_of", true},       {"fiancée", "partner_of", true},
    {"spouse", "partner_of", true},        {"hubby", "partner_of", true},
    {"grandma", "grandparent_of", true},   {"grandmother", "grandparent_of", true},
    {"grandpa", "grandparent_of", true},   {"grandfather", "grandparent_of", true},
    {"granny", "grandparent_of", true},    {"grandparents", "grandparent_of", true},
    {"grandson", "grandchild_of", true},   {"granddaughter", "grandchild_of", true},
    {"grandkids", "grandchild_of", true},  {"grandchildren", "grandchild_of", true},
    {"aunt", "aunt_of", true},             {"uncle", "uncle_of", true},
    {"cousin", "cousin_of", true},         {"cousins", "cousin_of", true},
    {"niece", "niece_of", true},           {"nephew", "nephew_of", true},
    {"stepmom", "parent_of", true},        {"stepdad", "parent_of", true},
    {"friend", "friend_of", false},        {"friends", "friend_of", false},
    {"bestie", "friend_of", false},        {"buddy", "friend_of", false},
    {"bff", "friend_of", false},           {"pal", "friend_of", false},
    {"coworker", "colleague_of", false},   {"colleague", "colleague_of", false},
    {"boss", "boss_of", false},            {"roommate", "roommate_of", false},
    {"neighbor", "neighbour_of", false},   {"neighbour", "neighbour_of", false},
    {"flatmate", "roommate_of", false},    {"housemate", "roommate_of", false},
    {"co-worker", "colleague_of", false},  {"mentor", "mentor_of", false},
};

const Kin* FindKin(std::string_view w) {
  for (const auto& k : kKin) {
    if (k.word == w) return &k;
  }
  return nullptr;
}

// Dwellings: "I live in a tiny flat" names no place, so it is no home (a
// named one is: "a flat in Glasgow" is Glasgow; "my parents' place" says
// whose).
constexpr std::string_view kDwellings[] = {
    "flat", "apartment", "house", "home", "place", "room", "studio", "condo", "cabin", "cottage", "loft",
    "bedsit", "dorm", "basement", "attic", "bungalow", "townhouse", "duplex", "trailer", "caravan", "building",
    "one-bedroom", "unit", "rental", "sublet"};

// Heads that "I have a ..." does not make a possession.
constexpr std::string_view kNotOwned[] = {
    "time", "question", "idea", "feeling", "lot", "chance", "meeting", "appointment", "problem", "day", "week",
    "weekend", "month", "year", "night", "morning", "plan", "plans", "dream", "talk", "look", "blast", "crush",
    "point", "sense", "way", "thing", "things", "bit", "moment", "minute", "hour", "break", "call", "message",
    "text", "chat", "conversation", "go", "try", "job", "promotion", "cold", "fever", "headache", "surgery",
    "date", "party", "trip", "vacation", "test", "exam", "interview", "class", "session", "presentation",
    "deadline", "visit", "reason", "experience", "fun", "goal", "opportunity", "decision", "choice", "story",
    "hunch", "loss", "accident", "fight", "argument", "heart", "voice", "passion", "interest", "love", "hope",
    "faith", "right", "need", "issue", "concern", "doubt", "fear", "lesson", "impact", "effect", "role",
    "part", "list", "shift", "workout", "run", "walk", "meal", "lunch", "dinner", "breakfast", "degree",
    "award", "friend", "friends"};

// -ing words after "I've been" that are not hobbies.
constexpr std::string_view kNotHobbies[] = {
    "feeling", "thinking", "going", "trying", "wondering", "looking", "getting", "doing", "having", "working",
    "meaning", "hoping", "planning", "struggling", "dealing", "waiting", "keeping", "reflecting", "considering",
    "talking", "saying", "telling", "asking", "wanting", "needing", "focusing", "taking", "spending", "missing",
    "living", "staying", "loving", "enjoying", "seeing", "dating", "coping", "recovering", "healing", "grieving",
    "preparing", "helping", "checking", "using", "eating", "sleeping", "crying", "stressing", "juggling",
    "balancing", "attending", "visiting", "following", "saving", "putting", "giving", "finding", "turning",
    "coming", "managing", "handling", "raining", "snowing", "pouring", "complaining", "worrying", "hitting"};

// What someone drinks rather than eats: "I quit coffee" ends "drinks coffee".
constexpr std::string_view kDrinks[] = {"coffee", "alcohol", "caffeine", "soda", "tea", "beer", "wine", "booze"};

// What "I picked up / took up X" does not make a hobby.
constexpr std::string_view kNotHobbyObjects[] = {"skills", "skill", "habits", "habit", "slack", "space", "time",
                                                 "responsibility", "pieces", "shifts", "kids", "groceries"};

constexpr std::string_view kFoods[] = {
    "meat", "dairy", "sugar", "alcohol", "gluten", "pork", "beef", "chicken", "fish", "eggs", "seafood",
    "carbs", "caffeine", "coffee", "bread", "cheese", "red", "junk"};

constexpr std::string_view kDiets[] = {
    "vegetarian", "vegan", "pescatarian", "gluten-free", "dairy-free", "keto", "paleo", "kosher", "halal",
    "lactose-intolerant", "plant-based", "sober", "teetotal", "diabetic"};

constexpr std::string_view kOrgSuffixes[] = {
    "inc", "corp", "corporation", "university", "college", "company", "hospital", "school", "bank",
    "foundation", "institute", "center", "centre", "club", "ltd", "llc", "group", "academy", "high", "co",
    "studio", "studios", "labs", "logistics", "systems", "partners", "agency", "airways", "airlines",
    // the same words in other languages ("Universidad de Chile", "Uniwersytet Jagielloński")
    "universidad", "université", "universität", "università", "universiteit", "uniwersytet", "universidade",
    "universitas", "universitet", "universitat", "hôpital", "klinikum", "colegio", "liceo",
    "lycée", "gymnasium", "banco", "banque",
    // "Korean Air", "Air Peace"
    "air"};

// Organisation words of places people study at rather than work at ("I'm at
// Oslo University" is as likely a student's).
constexpr std::string_view kSchools[] = {"university", "college", "school", "academy", "high", "institute"};

// A small gazetteer: countries, major cities and US states people mention.
constexpr std::string_view kPlaces[] = {
    "afghanistan", "argentina", "australia", "austria", "belgium", "brazil", "canada", "chile", "china",
    "colombia", "croatia", "cuba", "czechia", "denmark", "egypt", "england", "ethiopia", "finland", "france",
    "germany", "ghana", "greece", "hungary", "iceland", "india", "indonesia", "iran", "iraq", "ireland",
    "israel", "italy", "jamaica", "japan", "kenya", "korea", "lebanon", "mexico", "morocco", "nepal",
    "netherlands", "nigeria", "norway", "pakistan", "peru", "philippines", "poland", "portugal", "romania",
    "russia", "scotland", "senegal", "singapore", "spain", "sweden", "switzerland", "syria", "taiwan",
    "thailand", "turkey", "uganda", "ukraine", "usa", "uk", "america", "vietnam", "wales", "europe", "asia",
    "africa", "london", "paris", "berlin", "madrid", "rome", "lisbon", "amsterdam", "vienna", "prague",
    "dublin", "copenhagen", "stockholm", "oslo", "helsinki", "tokyo", "kyoto", "osaka", "seoul", "beijing",
    "shanghai", "bangkok", "delhi", "mumbai", "sydney", "melbourne", "toronto", "vancouver", "montreal",
    "chicago", "boston", "seattle", "denver", "austin", "portland", "miami", "atlanta", "dallas", "houston",
    "phoenix", "philadelphia", "brooklyn", "manhattan", "california", "texas", "florida", "oregon",
    "colorado", "ohio", "michigan", "arizona", "nevada", "georgia", "alaska", "hawaii", "vermont", "maine",
    "montana", "utah", "idaho", "barcelona", "munich", "zurich", "istanbul", "cairo", "nairobi", "lagos",
    "brussels", "budapest", "warsaw"};

// Capitalised words that are not names.
constexpr std::string_view kNotNames[] = {
    "i", "i'm", "i've", "i'll", "i'd", "ok", "okay", "hey", "hi", "hello", "thanks", "thank", "oh", "wow",
    "yes", "no", "yeah", "yep", "nope", "omg", "lol", "haha", "god", "monday", "tuesday", "wednesday",
    "thursday", "friday", "saturday", "sunday", "january", "february", "march", "april", "may", "june", "july",
    "august", "september", "october", "november", "december", "the", "a", "an", "my", "our", "we", "it",
    "this", "that", "so", "but", "and", "also", "tv", "btw", "aww", "awesome", "great", "congrats",
    "christmas", "easter", "thanksgiving", "ps", "xoxo", "mondays", "tuesdays", "wednesdays", "thursdays",
    "fridays", "saturdays", "sundays",
    // Words that open a question ("Is Spider-Man still your favourite?") and
    // day abbreviations ("next Fri").
    "is", "are", "was", "were", "do", "does", "did", "have", "has", "can", "could", "would", "should", "what",
    "where", "who", "how", "why", "which", "see", "mon", "tue", "tues", "thu", "thurs", "fri"};

// Languages and nationalities: capitalised, but not people.
constexpr std::string_view kLanguages[] = {
    "english", "spanish", "french", "german", "italian", "portuguese", "chinese", "mandarin", "cantonese",
    "japanese", "korean", "arabic", "hindi", "russian", "swedish", "dutch", "greek", "turkish", "polish",
    "hebrew", "latin", "american", "british", "canadian", "mexican", "irish", "asian", "african", "european",
    "indian", "thai", "vietnamese", "filipino", "brazilian", "danish", "norwegian", "finnish", "ukrainian",
    "georgian", "armenian", "persian", "farsi", "urdu", "bengali", "punjabi", "tamil", "telugu", "marathi",
    "gujarati", "swahili", "czech", "romanian", "hungarian", "serbian", "croatian", "bulgarian", "slovak",
    "slovenian", "albanian", "catalan", "basque", "welsh", "gaelic", "icelandic", "estonian", "latvian",
    "lithuanian", "malay", "indonesian", "tagalog", "amharic", "yoruba", "igbo", "hausa", "twi", "zulu",
    "afrikaans", "nepali", "sinhala", "khmer", "burmese", "mongolian", "kazakh", "uzbek", "azerbaijani",
    "azeri", "pashto", "kurdish", "scottish", "australian", "nigerian", "ghanaian", "kenyan"};

// Pronouns and pronoun contractions: capitalised at a sentence start, never names.
constexpr std::string_view kPronouns[] = {
    "he", "she", "they", "you", "we", "his", "her", "their", "its", "your", "them", "him", "it's", "that's",
    "what's", "here's", "there's", "let's", "he's", "she's", "who's", "where's", "how's", "everyone",
    "everything", "someone", "something", "nothing", "nobody", "anyone", "this", "these", "those"};

// Capitalised only because they open a sentence.
constexpr std::string_view kSentenceStarters[] = {
    "later", "then", "yesterday", "today", "tonight", "tomorrow", "so", "well", "also", "but", "and", "anyway",
    "maybe", "plus", "btw", "sure", "now", "last", "next", "after", "before", "when", "since", "if", "because",
    "once", "sometimes", "recently", "earlier", "luckily", "hopefully", "sadly", "unfortunately", "meanwhile",
    "even", "still", "just", "guess", "remember", "tell", "say", "thank", "congrats", "dear", "poor", "love"};

// Lower-case nouns that a city's name qualifies: "the Stavanger office",
// "Bangalore traffic" name a place even outside the gazetteer.
constexpr std::string_view kPlaceQualifiedNouns[] = {"office", "branch", "traffic", "weather", "suburbs",
                                                     "skyline", "metro", "subway", "rents", "airport",
                                                     "fortress", "castle"};

// Heads that name no workplace on their own: "I work at a place near the
// station" says nothing of where.
constexpr std::string_view kVagueWorkplaces[] = {"place", "company", "business", "spot", "firm", "job",
                                                 "organisation", "organization", "somewhere"};

// Words of a work schedule between "work" and "as"/"at": "I work nights as a guard".
constexpr std::string_view kWorkSchedules[] = {"nights", "days", "weekends", "evenings", "mornings", "part-time",
                                               "full-time", "freelance", "mostly", "mainly", "shifts"};

// Gerunds of paid work: "I've been driving for Uber" names an employer, not a hobby.
constexpr std::string_view kWorkGerunds[] = {"driving", "delivering", "freelancing", "consulting", "contracting"};

// Verbs that open a chat sentence whose "I" was dropped: "Just moved to
// Leeds!", "Started at Wolt today".
constexpr std::string_view kElidedSubjectVerbs[] = {"moved", "relocated", "started", "joined", "adopted",
                                                    "quit", "bought", "sold", "retired", "became", "took",
                                                    "picked", "got", "went", "visited"};

// Who someone is "from" when the name is a person's: "Georgia from my yoga
// class", "Chad from accounting", "Sydney from the office".
constexpr std::string_view kCircles[] = {"my", "our", "your", "work", "school", "uni", "college", "church", "class",
                                         "office", "gym", "team", "accounting", "marketing", "sales", "finance",
                                         "hr", "engineering", "legal", "upstairs", "downstairs", "next"};

// Subjects of "quit" or "left" naming the speaker's own leaving.
constexpr std::string_view kLeavingSubjects[] = {"i", "just", "finally", "recently", "officially", "we", "i've",
                                                 "we've", "eventually", "already"};

// Verbs after a sentence-initial name that say it is a person: "Vikram
// told me ...", "Jonas grew up in Tønsberg".
constexpr std::string_view kPersonVerbs[] = {"told", "tells", "says", "said", "texted", "messaged", "asked",
                                             "thinks", "lives", "works", "moved", "grew", "wants", "wanted"};

constexpr std::string_view kNameConnectors[] = {"of", "de", "van", "von", "da", "del", "la", "du",
                                                 "do", "dos", "das", "des", "della"};
// A second lower-case word a connector may take before the next capitalised
// one: "San Cristóbal de las Casas", "Half of a Yellow Sun".
constexpr std::string_view kSecondConnectors[] = {"la", "las", "los", "le", "les", "a", "the"};
// Words that join two capitalised ones only through a second connector:
// "Kafka on the Shore" (but "Anna on Friday" is two names).
constexpr std::string_view kLinkingWords[] = {"on", "upon"};
// Small words a title in title case capitalises inside a name run.
constexpr std::string_view kTitleCaseWords[] = {"is", "of", "the", "and", "in", "on", "a"};

constexpr std::string_view kTitles[] = {"dr", "mr", "mrs", "ms", "prof", "miss"};

constexpr std::string_view kAdverbs[] = {
    "really", "just", "also", "always", "still", "usually", "actually", "totally", "finally", "even", "often",
    "sometimes", "absolutely", "truly", "definitely", "kinda", "mostly", "now", "honestly", "seriously",
    "personally", "generally", "already", "recently", "officially", "secretly"};

// --- Sentence view -----------------------------------------------------------

class SentencePatterns {
 public:
  SentencePatterns(const std::vector<Word>& words, const Speakers& who, const std::vector<std::string>& known,
                   SentenceFindings* out)
      : w_(words), who_(who), known_(known), out_(out) {}

  void Run() {
    if (size_t v = ElidedSubjectVerb(); v != kNone) {
      first_person_ = true;
      speaker_clause_ = true;
      VerbClause(who_.speaker, v, 0.8f, false, false, false);
    }
    for (size_t i = 0; i < w_.size(); ++i) {
      const std::string& l = L(i);
      if (l == "i" || l == "i'm" || l == "i've" || l == "we" || l == "we're" || l == "we've" || l == "me" ||
          l == "my" || l == "our" || l == "us") {
        first_person_ = true;
      }
      if (l == "i" || l == "i'm" || l == "i've" || l == "we" || l == "we're" || l == "we've") {
        // "If I lived in Berlin, ...": a condition states nothing about the speaker.
        if (i > 0 && (L(i - 1) == "if" || L(i - 1) == "unless" || L(i - 1) == "whether")) continue;
        const std::string co = CoSubject(i);
        const size_t facts_before = out_->facts.size(), rels_before = out_->relations.size();
        Clause(i);
        if (!co.empty() && co != who_.speaker) Share(co, who_.speaker, facts_before, rels_before);
        speaker_clause_ = true;
      }
      // "I play guitar in a band", "we sing in the choir"
      if (speaker_clause_ && (l == "in" || l == "on") &&
          (L(i + 1) == "a" || L(i + 1) == "the" || L(i + 1) == "my" || L(i + 1) == "our")) {
        if (Span s = NP(i + 1, 3); s.ok() && In(Head(s), kGroups)) {
          NamedObject(s, EntityType::kOrganisation);
          Rel(who_.speaker, "member_of", Value(s));
        }
      }
      // "Board games are my favourite (way to unwind)"
      // ("Adichie is still my favourite writer", "Kult are my favourite band")
      const size_t my = (l == "is" || l == "are") && (L(i + 1) == "still" || L(i + 1) == "also") ? i + 2 : i + 1;
      if ((l == "is" || l == "are") && L(my) == "my" && (L(my + 1) == "favorite" || L(my + 1) == "favourite")) {
        static constexpr std::string_view kMakers[] = {"writer", "author", "singer", "artist", "actor", "actress",
                                                       "player", "rapper", "director", "poet", "comedian",
                                                       "novelist", "footballer", "athlete", "youtuber"};
        static constexpr std::string_view kTeams[] = {"band", "team", "club", "group", "brand"};
        if (Span s = NP(0, 4); s.ok() && s.e == i && !Demonstrative(s)) {
          if (In(L(my + 2), kTitleNouns)) NamedObject(s, EntityType::kThing);  // "Harry Potter is my favorite book"
          if (In(L(my + 2), kMakers)) NamedObject(s, EntityType::kPerson);
          if (In(L(my + 2), kTeams)) NamedObject(s, EntityType::kOrganisation);
          Like(who_.speaker, "likes", Value(s), 0.8f);
        }
      }
      if (!w_[i].punct && w_[i].capitalised) i = NamedClause(i);
      if ((l == "she" || l == "he" || l == "she's" || l == "he's") &&
          (i == 0 || w_[i - 1].punct || L(i - 1) == "and" || L(i - 1) == "but")) {
        PronounClause(i);
      }
      if (l == "my" || l == "our" || (l == "your" && !who_.addressee.empty()) ||
          (EndsWithPossessive(i) && w_[i].capitalised)) {
        Possessive(i);
      }
    }
    Names();
    Cooccurrence();
  }

 private:
  // --- token access ---
  const std::string& L(size_t i) const {
    static const std::string kEmpty;
    return i < w_.size() ? w_[i].lower : kEmpty;
  }
  bool EndsWithPossessive(size_t i) const { return L(i).size() > 2 && L(i).ends_with("'s"); }

  // End of the phrase `ws` at j (adverbs between words are not allowed), or kNone.
  size_t P(size_t j, std::initializer_list<std::string_view> ws) const {
    for (std::string_view x : ws) {
      if (j >= w_.size() || L(j) != x) return kNone;
      ++j;
    }
    return j;
  }
  size_t SkipAdverbs(size_t j) const {
    while (j < w_.size() && (In(L(j), kAdverbs) || (L(j).size() > 4 && L(j).ends_with("ly") && !In(L(j), kLyNouns)))) {
      ++j;
    }
    return j;
  }
  // A word capitalised only because it opens the sentence ("Just",
  // "Finally", "Honestly").
  bool OpensSentenceOnly(size_t i) const {
    return i == 0 && (In(L(i), kSentenceStarters) || In(L(i), kAdverbs) ||
                      (L(i).size() > 4 && L(i).ends_with("ly") && !In(L(i), kLyNouns)));
  }
  // The verb of a sentence that drops its "I" ("Just moved to Leeds!"), or kNone.
  size_t ElidedSubjectVerb() const {
    size_t v = 0;
    while (v < w_.size() && (In(L(v), kAdverbs) || L(v) == "so" || L(v) == "finally")) ++v;
    return v < w_.size() && In(L(v), kElidedSubjectVerbs) ? v : kNone;
  }
  bool IsStop(size_t i) const {
    if (i >= w_.size() || w_[i].punct || In(L(i), kNpStops)) return true;
    const std::string& l = L(i);
    // Adverbs in -ly ("especially", "originally") and contractions ("it'll").
    if (l.size() > 4 && l.ends_with("ly") && !In(l, kLyNouns)) return true;
    if (l.find('\'') != std::string::npos && !l.ends_with("'s")) return true;
    return false;
  }

  // The surface form of a value word: proper names and acronyms keep their
  // case, the rest is lower-cased.
  std::string Surface(size_t i) const {
    if (w_[i].acronym || (w_[i].capitalised && i > 0 && L(i) != "i")) return w_[i].text;
    return w_[i].lower;
  }

  // A noun phrase from j: leading determiners, numbers and filler
  // adjectives skipped; at most `max` words; "of" joins two parts.
  struct Span {
    size_t b = kNone, e = kNone;
    bool ok() const { return b != kNone && e > b; }
  };
  Span NP(size_t j, size_t max = 4) const {
    while (j < w_.size() && (In(L(j), kDeterminers) || In(L(j), kFillerAdjectives) || w_[j].number ||
                             In(L(j), kNumberWords))) {
      if (L(j) == "this" || L(j) == "that") {
        if (IsStop(j + 1)) return {};
      }
      ++j;
    }
    if (j >= w_.size() || w_[j].punct || In(L(j), kNonObjects) || IsStop(j)) return {};
    size_t e = j;
    if (w_[j].capitalised && j > 0) {
      // A name, possibly followed by common nouns ("Studio Ghibli films").
      if (Span n = NameAt(j); n.ok()) e = n.e;
    }
    while (e < w_.size() && e - j < max) {
      // A determiner or a number after the head starts something else
      // ("Brooklyn my whole life", "Toronto two years ago").
      if (e > j && (In(L(e), kDeterminers) || w_[e].number || In(L(e), kNumberWords))) {
        break;
      }
      if (L(e) == "of" && e > j && e + 1 < w_.size() && !IsStop(e + 1) && !In(L(e + 1), kDeterminers)) {
        e += 2;
        continue;
      }
      if (IsStop(e) || In(L(e), kNonObjects)) break;
      ++e;
    }
    if (EndsWithPossessive(e - 1) && e - 1 > j) return {};  // "my friend's car": too deep
    return {j, e};
  }

  // NP, NP and NP
  std::vector<Span> NPList(size_t j, size_t max = 4) const {
    std::vector<Span> out;
    Span s = NP(j, max);
    while (s.ok()) {
      out.push_back(s);
      size_t k = s.e;
      if (L(k) == ",") ++k;
      if (L(k) == "and" || L(k) == "or") ++k;
      if (k == s.e) break;
      s = NP(k, max);
    }
    return out;
  }

  std::string Value(Span s) const {
    std::string v;
    for (size_t i = s.b; i < s.e; ++i) {
      if (i > s.b && w_[i].begin > w_[i - 1].end) v.push_back(' ');
      v += Surface(i);
    }
    return std::string(StripPossessive(v));
  }
  std::string_view Head(Span s) const { return L(s.e - 1); }

  // A capitalised name run at j ("Anna", "Anna Lee", "University of Oslo").
  Span NameAt(size_t j) const {
    if (j >= w_.size() || !w_[j].capitalised || w_[j].punct || In(L(j), kNotNames) || In(L(j), kPronouns)) return {};
    // Contractions ("We've", "It's") are never names; possessives ("Anna's") are.
    if (L(j).find('\'') != std::string::npos && (!L(j).ends_with("'s") || In(L(j), kPronouns))) return {};
    // A possessive ends a name ("Anna's Mum"), but not an organisation's
    // ("St. Mary's Hospital") nor a title's ("reading Midnight's Children").
    const bool title_run = j > 0 && In(L(j - 1), kTitleVerbs);
    size_t e = j + 1;
    while (e < w_.size()) {
      const bool prev_possessive = EndsWithPossessive(e - 1);
      if (w_[e].capitalised && !w_[e].punct && !In(L(e), kNotNames) &&
          (!prev_possessive || In(L(e), kOrgSuffixes) || L(e) == "hospital" || L(e) == "cafe" || title_run)) {
        ++e;
      } else if (L(e) == "." && (L(e - 1) == "st" || L(e - 1) == "mt") && e + 1 < w_.size() &&
                 w_[e + 1].capitalised) {
        ++e;
      } else if ((In(L(e), kNameConnectors) || L(e) == "&") && e + 1 < w_.size() && w_[e + 1].capitalised &&
                 !In(L(e + 1), kNotNames)) {
        e += 2;
      } else if (L(e) == "an" && w_[e].capitalised && (e + 1 == w_.size() || !w_[e + 1].capitalised)) {
        ++e;  // "Hội An": a capitalised "An" closing a name is part of it
      } else if (L(e).size() > 2 && L(e).starts_with("d'") && std::isupper(static_cast<unsigned char>(w_[e].text[2]))) {
        ++e;  // "Parc de la Tête d'Or", "Côte d'Azur"
      } else if (In(L(e), kTitleCaseWords) && w_[e].capitalised && e + 1 < w_.size() && w_[e + 1].capitalised &&
                 !w_[e + 1].punct && !In(L(e + 1), kNotNames)) {
        e += 2;  // title case: "The Rest Is History", "Of Mice And Men"
      } else if ((In(L(e), kNameConnectors) || In(L(e), kLinkingWords)) && In(L(e + 1), kSecondConnectors) &&
                 e + 2 < w_.size() &&
                 !w_[e + 1].capitalised && w_[e + 2].capitalised && !w_[e + 2].punct && !In(L(e + 2), kNotNames)) {
        e += 3;
      } else {
        break;
      }
    }
    // A sequel's number ends the name that opens it ("Paddington 2.", "Toy
    // Story 3 and ..."), but "Anna 2 weeks ago" or "Leeds 3, Hull 1" do not.
    if (e < w_.size() && w_[e].number && w_[e].text.size() <= 2 && w_[e].begin > w_[e - 1].end &&
        !EndsWithPossessive(e - 1) &&
        (e + 1 == w_.size() || (w_[e + 1].punct && L(e + 1) != "," && L(e + 1) != "-") || L(e + 1) == "and" ||
         L(e + 1) == "is" || L(e + 1) == "was")) {
      ++e;
    } else if (e < w_.size() && w_[e].number && w_[e].text.size() <= 2 && w_[e].begin > w_[e - 1].end &&
               !EndsWithPossessive(e - 1) && j > 0 && (L(j - 1) == "in" || L(j - 1) == "on" || L(j - 1) == "near") &&
               (L(e + 1) == "but" || L(e + 1) == "so" || L(e + 1) == "or" ||
                (L(e + 1) == "," && !(e + 3 < w_.size() && w_[e + 2].capitalised && w_[e + 3].number)))) {
      ++e;  // a numbered district after a preposition of place: "a flat in Wuse 2, close to ..."
    } else if (e < w_.size() && w_[e].number && w_[e].text.size() <= 4 && w_[e].begin > w_[e - 1].end &&
               !EndsWithPossessive(e - 1) && NamesATitle({j, e})) {
      // What one watches, reads or is hooked on keeps its number ("rewatching
      // Reply 1988 for the 4th time", "obsessed with Moana 2 lol"), unless a
      // unit follows it ("reading Dune 2 hours a day").
      static constexpr std::string_view kUnits[] = {"hours", "hour", "minutes", "mins", "days", "weeks", "times",
                                                    "years", "months", "pages", "chapters", "episodes", "am", "pm"};
      if (!In(L(e + 1), kUnits)) ++e;
    }
    return {j, e};
  }
  std::string NameText(Span s) const {
    std::string v;
    for (size_t i = s.b; i < s.e; ++i) {
      if (i > s.b && w_[i].begin > w_[i - 1].end) v.push_back(' ');
      v += w_[i].text;
    }
    return std::string(StripPossessive(v));
  }

  // --- output ---
  void Fact(const std::string& subject, std::string attribute, std::string value, float confidence,
            bool negated = false) {
    if (value.empty() && !negated) return;
    for (const auto& f : out_->facts) {
      if (f.subject == subject && f.attribute == attribute && f.value == value && f.negated == negated) return;
    }
    PersonaFact f;
    f.subject = subject;
    f.attribute = std::move(attribute);
    f.value = std::move(value);
    f.confidence = confidence;
    f.negated = negated;
    out_->facts.push_back(std::move(f));
  }
  void Rel(const std::string& subject, std::string relation, const std::string& object) {
    if (subject.empty() || object.empty() || subject == object) return;
    for (const auto& r : out_->relations) {
      if (r.subject == subject && r.relation == relation && r.object == object) return;
    }
    Relation r;
    r.subject = subject;
    r.relation = std::move(relation);
    r.object = object;
    out_->relations.push_back(std::move(r));
  }
  void Ent(const std::string& name, EntityType type, const std::string& alias = "") {
    if (name.empty()) return;
    if (std::find(touched_.begin(), touched_.end(), name) == touched_.end()) touched_.push_back(name);
    for (auto& e : out_->entities) {
      if (e.name == name) {
        if (!alias.empty() && std::find(e.aliases.begin(), e.aliases.end(), alias) == e.aliases.end()) {
          e.aliases.push_back(alias);
        }
        return;
      }
    }
    Entity e;
    e.name = name;
    e.type = type;
    if (!alias.empty()) e.aliases.push_back(alias);
    out_->entities.push_back(std::move(e));
  }
  // "Acme Inc", "University of Oslo", "St. Mary's Hospital"
  bool HasOrgWord(Span s) const {
    for (size_t i = s.b; i < s.e; ++i) {
      if (In(StripPossessive(L(i)), kOrgSuffixes)) return true;
    }
    return false;
  }

  // The entity type a capitalised object gets from its words.
  EntityType TypeOfName(Span s, EntityType fallback) const {
    std::string last = AsciiLower(StripPossessive(L(s.e - 1)));
    if (HasOrgWord(s)) return EntityType::kOrganisation;
    if (HasEventWord(s)) return EntityType::kEvent;
    if (s.e - s.b == 1 && In(last, kPlaces)) return EntityType::kPlace;
    if (Known(NameText(s))) return EntityType::kPerson;
    if (HasPlaceWord(s)) return EntityType::kPlace;
    // "my cousin works in Leeds": a name WordNet knows only as a place
    if (fallback != EntityType::kPerson && IsWordNetPlaceName(NameText(s))) return EntityType::kPlace;
    return fallback;
  }
  bool Known(const std::string& name) const {
    return std::any_of(known_.begin(), known_.end(),
                       [&](const std::string& k) { return AsciiEqualsIgnoreCase(k, name); });
  }
  // "Baker Beach", "Valencia Street", "Mount Tam", "Lake Merritt": a name of
  // two or more words whose last (or first) word says it is a place.
  bool HasPlaceWord(Span s) const {
    if (s.e - s.b < 2) return false;
    return In(StripPossessive(L(s.e - 1)), kPlaceHeads) || In(L(s.b), kPlacePrefixes);
  }
  bool IsGazetteerPlace(Span s) const { return s.e - s.b == 1 && In(StripPossessive(L(s.b)), kPlaces); }
  // An object that is a named entity when capitalised: records it.
  void NamedObject(Span s, EntityType fallback) {
    Span n = NameAt(s.b);
    if (n.ok() && n.e == s.e) Ent(NameText(n), TypeOfName(n, fallback));
  }

  // --- first-person clauses ---
  void Clause(size_t i) {
    const std::string& subj = who_.speaker;
    const std::string& l = L(i);
    const bool group = l[0] == 'w';
    const float conf = group ? 0.7f : 0.9f;
    size_t j = i + 1;
    bool be = l == "i'm" || l == "we're";
    bool have = l == "i've" || l == "we've";
    j = SkipAdverbs(j);
    if (!be && !have && (L(j) == "am" || L(j) == "are")) be = true, j = SkipAdverbs(j + 1);
    if (!be && !have && L(j) == "have" && IsParticipleOrBeen(SkipAdverbs(j + 1))) have = true, j = SkipAdverbs(j + 1);
    bool been = false;
    if (have && L(j) == "been") been = true, be = true, j = SkipAdverbs(j + 1);
    if (have && !been && L(j) == "got") have = false;  // "I've got a dog" = "I have a dog": handled below

    // Stopping: "no longer", "don't ... anymore", "used to", "stopped", "quit", "gave up".
    bool stopping = false;
    if (size_t k = P(j, {"no", "longer"}); k != kNone) stopping = true, j = SkipAdverbs(k);
    if (size_t k = P(j, {"used", "to"}); k != kNone) stopping = true, j = k;
    if (stopping && !be && L(j) == "be") be = true, j = SkipAdverbs(j + 1);  // "I used to be a barista"
    const bool dont = L(j) == "don't" || (L(j) == "do" && L(j + 1) == "not");
    if (dont) {
      size_t end = j;
      while (end < w_.size() && !w_[end].punct) ++end;
      for (size_t k = j; k < end; ++k) {
        if (L(k) == "anymore" || (L(k) == "any" && L(k + 1) == "more")) stopping = true;
      }
    }

    if (be) {
      BeClause(subj, j, conf, stopping, been);
      return;
    }
    // After "don't": the verb; "don't ... anymore" is a stopping statement.
    size_t v = j;
    if (dont) v = SkipAdverbs(L(j) == "don't" ? j + 1 : j + 2);
    VerbClause(subj, v, conf, stopping, dont && !stopping, group);
  }

  bool IsParticipleOrBeen(size_t j) const {
    static constexpr std::string_view kParticiples[] = {"been", "got", "had", "gone", "done", "seen", "taken",
                                                         "made", "known", "grown", "become", "begun", "given",
                                                         "left", "found", "bought", "quit", "stopped"};
    return L(j).ends_with("ed") || In(L(j), kParticiples);
  }

  // "<Name> lives in Denver", "my sister Anna is a nurse": the same clauses
  // with a named subject. Returns the last token of the name.
  size_t NamedClause(size_t i) {
    Span n = NameAt(i);
    if (!n.ok() || EndsWithPossessive(n.e - 1)) return i;
    if (n.e - n.b == 1 && OpensSentenceOnly(n.b)) return i;  // "Just moved into ..."
    const std::string name = NameText(n);
    const bool known = std::any_of(known_.begin(), known_.end(),
                                   [&](const std::string& k) { return AsciiEqualsIgnoreCase(k, name); });
    const bool after_kin = (n.b > 0 && FindKin(L(n.b - 1)) != nullptr) ||
                           (n.b > 1 && L(n.b - 1) == "," && FindKin(L(n.b - 2)) != nullptr);
    size_t j = n.e;
    if (L(j) == "," && after_kin) ++j;  // "my wife, Nadia, is ..."
    j = SkipAdverbs(j);
    const std::string co = CoSubject(n.b);  // "Marco and Lucia moved to Seattle"
    if (!co.empty() && (L(j) == "both" || L(j) == "all")) j = SkipAdverbs(j + 1);
    const size_t facts_before = out_->facts.size(), rels_before = out_->relations.size();
    static constexpr std::string_view kStrongVerbs[] = {"is", "works", "lives", "moved", "has", "got", "loves"};
    static constexpr std::string_view kObjectPreps[] = {"in", "at", "to", "from", "near", "on", "into", "of",
                                                        "for", "with", "about", "by"};
    if (n.b > 0 && In(L(n.b - 1), kObjectPreps) && !known) return n.e - 1;  // "my flat in Alfama has ..."
    // "Curitiba has the best bakeries": a town WordNet knows says nothing of a person.
    if (!known && !after_kin && IsWordNetPlaceName(name)) return n.e - 1;
    if (!(known || after_kin || (n.b > 0 && !w_[n.b - 1].punct) || In(L(j), kStrongVerbs) ||
          P(j, {"grew", "up"}) != kNone)) {
      return n.e - 1;
    }
    if (L(n.e) == "from") {  // "Chloé from Montréal"
      if (Span p = NameAt(n.e + 1); p.ok()) {
        Ent(name, EntityType::kPerson);
        Ent(NameText(p), TypeOfName(p, EntityType::kPlace));
        Rel(name, "from", NameText(p));
      }
      return n.e - 1;
    }
    if (L(j) == "is") {
      BeClause(name, SkipAdverbs(j + 1), 0.7f, false, false);
    } else if (L(j) == "has" && L(j + 1) == "been") {
      BeClause(name, SkipAdverbs(j + 2), 0.7f, false, true);
    } else if (!IsStop(j) || L(j) == "has") {
      VerbClause(name, j, 0.7f, false, false, false);
    }
    if (!co.empty() && co != name) Share(co, name, facts_before, rels_before);
    return n.e - 1;
  }

  // "My sister Ana is a nurse; she works at St Mary's": he or she as the
  // subject of a clause, when exactly one person other than the
  // participants was named before it in the turn, is that person.
  void PronounClause(size_t i) {
    std::vector<std::string> people;
    auto add = [&](const std::string& name) {
      if (!Known(name) && std::find(people.begin(), people.end(), name) == people.end()) people.push_back(name);
    };
    for (const auto& e : out_->entities) {
      if (e.type == EntityType::kPerson) add(e.name);
    }
    static constexpr std::string_view kPlacePreps[] = {"in", "at", "to", "from", "near", "into", "around"};
    for (size_t b = 0; b < i; ++b) {
      Span n = NameAt(b);
      if (!n.ok()) continue;
      // "I ran into Iker": meeting someone, not a place.
      const bool met = b > 1 && L(b - 1) == "into" && (L(b - 2) == "ran" || L(b - 2) == "bumped");
      const bool object_of_place = b > 0 && In(L(b - 1), kPlacePreps) && !met;
      if (!(n.b == 0 && n.e - n.b == 1) && !object_of_place && !HasPlaceWord(n) && !HasOrgWord(n) &&
          !IsGazetteerPlace(n) && !NamesAPet(n.b) && !NamesATitle(n)) {
        add(NameText(n));
      }
      b = n.e - 1;
    }
    if (people.size() != 1) return;
    const std::string& who = people.front();
    const bool contracted = L(i).ends_with("'s");
    size_t j = SkipAdverbs(i + 1);
    if (contracted) {
      BeClause(who, j, 0.6f, false, false);
    } else if (L(j) == "is") {
      BeClause(who, SkipAdverbs(j + 1), 0.6f, false, false);
    } else if (!IsStop(j)) {
      VerbClause(who, j, 0.6f, false, false, false);
    }
  }

  // "Ana and I", "Marco and Lucia": the name joined by "and" to the subject
  // at word i, or "".
  std::string CoSubject(size_t i) const {
    if (i < 2 || L(i - 1) != "and") return "";
    size_t b = i - 2;
    while (b > 0 && w_[b - 1].capitalised && !w_[b - 1].punct) --b;
    for (; b + 1 < i; ++b) {
      Span n = NameAt(b);
      if (n.ok() && n.e == i - 1 && !EndsWithPossessive(n.e - 1) && !HasPlaceWord(n) && !HasOrgWord(n) &&
          !IsGazetteerPlace(n)) {
        return NameText(n);
      }
    }
    return "";
  }
  // What a clause said of `subj` (facts and relations from the given
  // indexes on) also holds for its co-subject: places, work, groups, tastes.
  void Share(const std::string& co, const std::string& subj, size_t facts_before, size_t rels_before) {
    static constexpr std::string_view kSharedFacts[] = {"home", "origin", "works_at", "likes", "dislikes", "hobby"};
    static constexpr std::string_view kSharedRelations[] = {"visited",  "attended",  "lives_in", "from",
                                                            "works_at", "member_of", "likes",    "dislikes",
                                                            "volunteers_at"};
    const size_t facts_end = out_->facts.size(), rels_end = out_->relations.size();
    for (size_t k = facts_before; k < facts_end; ++k) {
      const PersonaFact f = out_->facts[k];
      if (f.subject == subj && In(f.attribute, kSharedFacts)) Fact(co, f.attribute, f.value, f.confidence, f.negated);
    }
    for (size_t k = rels_before; k < rels_end; ++k) {
      const Relation r = out_->relations[k];
      if (r.subject == subj && In(r.relation, kSharedRelations)) Rel(co, r.relation, r.object);
    }
    // "Kenta and I have been married for six years": married (or engaged)
    // to each other.
    for (size_t k = facts_before; k < facts_end; ++k) {
      const PersonaFact f = out_->facts[k];
      if (f.subject == subj && f.attribute == "relationship_status" && !f.negated &&
          (f.value == "married" || f.value == "engaged")) {
        Fact(co, f.attribute, f.value, f.confidence, false);
        Rel(co, "partner_of", subj);
        break;
      }
    }
  }

  // "I hiked up Mount Tam", "I had brunch at Blue Bottle Cafe with Anna",
  // "I drove down to Big Sur": after a verb of going or staying, the first
  // named place behind a preposition in the same clause is visited (by the
  // people named after "with" too). Without a place word or the gazetteer
  // the name must follow "to" after a verb of motion.
  void Trip(const std::string& subj, size_t v) {
    static constexpr std::string_view kPreps[] = {"to", "at", "in", "along", "up", "by", "near", "around",
                                                  "into", "through", "across", "on"};
    static constexpr std::string_view kClauseBreaks[] = {"and", "but", "so", "because", "when", "while", "which",
                                                         "that", "who", "where", "if", "though", "although"};
    static constexpr std::string_view kMotion[] = {"went", "drove", "flew", "took", "headed", "travelled",
                                                   "traveled", "walked", "biked", "cycled"};
    const bool motion = In(L(v), kMotion);
    size_t end = v + 1;
    while (end < w_.size() && !w_[end].punct && !In(L(end), kClauseBreaks)) ++end;
    for (size_t p = v + 1; p < end; ++p) {
      if (!In(L(p), kPreps)) continue;
      Span n = NameAt(L(p + 1) == "the" ? p + 2 : p + 1);
      if (!n.ok() || n.e > end || EndsWithPossessive(n.e - 1) || HasOrgWord(n) || Known(NameText(n))) continue;
      if (In(L(n.e), kEventHeads)) continue;  // "the Glastonbury festival": an event (attended)
      // "We spent the weekend at Hallstatt", "brunch at Mangal": after
      // at/in a name with no other evidence is a place.
      // The name must end its phrase: "at the LGBT pride event" names an event.
      const bool plain = (L(p) == "at" || L(p) == "in") && !In(L(n.b), kLanguages) && IsStop(n.e) &&
                         !(n.e - n.b == 1 && w_[n.b].acronym) && !NamesATitle(n);
      if (!HasPlaceWord(n) && !IsGazetteerPlace(n) && !(motion && L(p) == "to") && !plain) continue;
      if (HasEventWord(n)) {  // "we went to the Feria de San Marcos"
        Ent(NameText(n), EntityType::kEvent);
        Rel(subj, "attended", NameText(n));
        return;
      }
      const std::string place = NameText(n);
      Ent(place, EntityType::kPlace);
      Rel(subj, "visited", place);
      for (size_t k = v + 1; k + 1 < end; ++k) {
        if (L(k) != "with") continue;
        Span c = NameAt(k + 1);
        if (c.ok() && !EndsWithPossessive(c.e - 1) && !HasPlaceWord(c) && !IsGazetteerPlace(c) && !HasOrgWord(c) &&
            NameText(c) != subj) {
          Ent(NameText(c), EntityType::kPerson);
          Rel(NameText(c), "visited", place);
        }
      }
      return;
    }
  }

  static bool IsActivity(std::string_view w) {
    return In(w, kActivities) || (w.size() > 5 && w.ends_with("ing") && !In(w, kNotHobbies));
  }
  // "pottery classes", "Spanish lessons" at j: the hobby is what they teach.
  bool ClassHobby(const std::string& subj, size_t j, float conf) {
    Span s = NP(j, 3);
    if (!s.ok() || s.e - s.b < 2 || !In(Head(s), kLessons)) return false;
    static constexpr std::string_view kLessonKinds[] = {"weekend", "weekly", "evening", "morning", "night",
                                                        "online", "beginner", "beginners", "local", "community",
                                                        "private", "adult", "intro", "introductory", "free"};
    Span what{s.b, s.e - 1};
    while (what.e - what.b > 1 && In(L(what.b), kLessonKinds)) ++what.b;  // "a weekend yoga class"
    std::string value = Value(what);
    if (what.e - what.b == 1 && In(L(what.b), kLanguages)) {
      value = "learning " + value;
    } else if (!IsActivity(L(what.e - 1))) {
      return false;
    }
    Fact(subj, "hobby", value, conf);
    return true;
  }
  // "I do kukeri dancing now", "I used to do athletics", "I do khöömei,
  // throat singing": a bare noun phrase after "do" that names an activity
  // (its head is one, or WordNet knows it as a sport or pastime) or a word
  // WordNet does not know at all, standing where a clause ends. Not "I do
  // love it", "I do the dishes", "I do know".
  bool DoneActivity(size_t k) const {
    if (k >= w_.size() || w_[k].capitalised || In(L(k), kDeterminers)) return false;
    Span s = NP(k, 2);
    if (!s.ok() || s.b != k) return false;
    const size_t after = s.e;
    const bool clause_ends = after >= w_.size() || w_[after].punct || In(L(after), kNpStops);
    if (!clause_ends) return false;
    const std::string_view head = Head(s);
    if (In(head, kNonObjects) || In(head, kNotHobbies) || In(head, kNotHobbyObjects)) return false;
    if (IsActivity(head)) return true;
    const auto lexicon = CategoryLexicon::Shared();
    if (!lexicon->available()) return false;
    const std::string lemma = lexicon->NounLemma(head);
    if (lemma.empty()) {
      // Unknown to WordNet as a noun: an activity only if it is no verb or
      // other word WordNet knows either ("ssireum", "kailao").
      auto plain = [](char c) { return c != '\'' && !std::isdigit(static_cast<unsigned char>(c)); };
      return s.e - s.b == 1 && !lexicon->Knows(head) && !In(head, kNpStops) &&
             std::all_of(head.begin(), head.end(), plain);
    }
    for (const char* category : {"sport", "activity"}) {
      const auto members = lexicon->Members(category);
      if (members && members->nouns.count(lemma)) return true;
    }
    return false;
  }

  // "doing yoga", "doing a lot of birdwatching" at j (after "doing").
  bool Doing(const std::string& subj, size_t j, float conf, bool negated = false) {
    if (size_t k = P(j, {"a", "lot", "of"}); k != kNone) j = k;
    else if (L(j) == "some" || L(j) == "more") ++j;
    Span s = NP(j, 2);
    if (!s.ok() || !IsActivity(Head(s))) return false;
    Fact(subj, "hobby", Value(s), conf, negated);
    return true;
  }
  // "a chess club", "the soccer team", "a hiking group": the activity the
  // group is for is a hobby ("a book club" names none).
  void ClubHobby(const std::string& subj, Span s, float conf) {
    if (s.e - s.b < 2 || !In(Head(s), kGroups)) return;
    const std::string_view what = L(s.e - 2);
    if (IsActivity(what)) Fact(subj, "hobby", std::string(what), conf);
  }

  void BeClause(const std::string& subj, size_t j, float conf, bool stopping, bool been) {
    bool neg = stopping;
    if (L(j) == "not") neg = true, j = SkipAdverbs(j + 1);  // "not really into"
    if (size_t k = P(j, {"no", "longer"}); k != kNone) neg = true, j = k;
    if (size_t k = P(j, {"into"}); k != kNone) {
      for (Span s : NPList(k)) Like(subj, neg ? "dislikes" : "likes", Value(s), conf);
      return;
    }
    for (auto fan : {std::initializer_list<std::string_view>{"a", "fan", "of"}, {"a", "big", "fan", "of"},
                     {"a", "huge", "fan", "of"}, {"such", "a", "fan", "of"}, {"obsessed", "with"},
                     {"passionate", "about"}, {"crazy", "about"}}) {
      if (size_t k = P(j, fan); k != kNone) {
        for (Span s : NPList(k)) Like(subj, neg ? "dislikes" : "likes", Value(s), conf);
        return;
      }
    }
    if (size_t k = P(j, {"allergic", "to"}); k != kNone) {
      for (Span s : NPList(k)) Fact(subj, "diet", "allergic to " + Value(s), conf);
      return;
    }
    size_t d = L(j) == "a" || L(j) == "an" ? j + 1 : j;
    // "I'm doing keto this month", "we're on paleo", "I'm trying vegan".
    if ((L(d) == "doing" || L(d) == "on" || L(d) == "trying") && In(L(d + 1), kDiets)) ++d;
    if (In(L(d), kDiets)) {
      Fact(subj, "diet", L(d), conf, neg);
      return;
    }
    // "I'm back to eating everything", "I'm eating meat again".
    if (const size_t k = P(j, {"back", "to", "eating"}); k != kNone && !neg) {
      if (L(k) == "everything" || L(k) == "anything") {
        Fact(subj, "diet", "eats " + L(k), conf);  // no referring value, but a diet all the same
      } else if (Span s = NP(k, 2); s.ok()) {
        Fact(subj, "diet", "eats " + Value(s), conf);
      }
      return;
    }
    if (P(j, {"lactose", "intolerant"}) != kNone) {
      Fact(subj, "diet", "lactose intolerant", conf, neg);
      return;
    }
    if (L(j) == "retired") {
      Fact(subj, "occupation", "retired", conf, neg);
      return;
    }
    if (L(j) == "married" || L(j) == "engaged" || L(j) == "single" || L(j) == "divorced" || L(j) == "widowed") {
      Fact(subj, "relationship_status", L(j), conf, neg);
      size_t k = j + 1;
      if (L(k) == "to") {
        if (Span n = NameAt(k + 1); n.ok()) {
          Ent(NameText(n), EntityType::kPerson);
          Rel(NameText(n), "partner_of", subj);
        }
      }
      return;
    }
    if (size_t k = P(j, {"from"}); k != kNone) {
      Place(subj, "origin", "from", k, conf, neg);
      return;
    }
    if (size_t k = P(j, {"living", "in"}); k != kNone) {
      Place(subj, "home", "lives_in", k, conf, neg);
      return;
    }
    if (size_t k = P(j, {"working", "as"}); k != kNone) {
      Job(subj, k, conf, neg, false);
      return;
    }
    if (L(j) == "working" && (L(j + 1) == "at" || L(j + 1) == "for")) {
      Employer(subj, j + 2, conf, neg);
      return;
    }
    if (size_t k = P(j, {"learning"}); k != kNone) {
      if (Span s = NP(k, 2); s.ok()) Fact(subj, "hobby", "learning " + Value(s), conf, neg);
      return;
    }
    // "I'm at Helix Bank now": a workplace, when the name says it is an organisation.
    if (L(j) == "at" && !been) {
      Span n = NameAt(L(j + 1) == "the" ? j + 2 : j + 1);
      if (n.ok() && HasOrgWord(n) && !HasPlaceWord(n) && !In(StripPossessive(L(n.e - 1)), kGroups) &&
          !In(StripPossessive(L(n.e - 1)), kSchools)) {
        Employer(subj, j + 1, conf, neg);
        return;
      }
    }
    // "We're in Lakewood now", "I'm still in Novi Sad": where someone lives
    // now (not "in Paris for the week"); "I'm not in Auckland anymore":
    // where they no longer do.
    if (L(j) == "in") {
      Span n = NameAt(j + 1);
      if (n.ok() && !Known(NameText(n)) && !HasOrgWord(n) && !EndsWithPossessive(n.e - 1)) {
        size_t after = L(n.e) == "," ? n.e + 1 : n.e;
        const bool now = L(after) == "now" || P(after, {"these", "days"}) != kNone;
        const bool still = j > 0 && L(j - 1) == "still" && L(after) != "for" && L(after) != "until" &&
                           L(after) != "till" && L(after) != "on" && L(after) != "at";
        const bool no_more = L(after) == "anymore" || P(after, {"any", "more"}) != kNone;
        if (!neg && (now || still)) {
          Place(subj, "home", "lives_in", j + 1, conf, false);
          return;
        }
        if (neg && no_more) {
          Place(subj, "home", "lives_in", j + 1, conf, true);
          return;
        }
      }
    }
    for (auto member : {std::initializer_list<std::string_view>{"a", "member", "of"}, {"part", "of"},
                        {"in", "a"}, {"on", "a"}, {"on", "the"}, {"in", "the"}}) {
      if (size_t k = P(j, member); k != kNone) {
        Span s = NP(member.size() == 2 && (L(j) == "in" || L(j) == "on") ? k - 1 : k);
        if (s.ok() && In(Head(s), kGroups)) {
          NamedObject(s, EntityType::kOrganisation);
          Rel(subj, "member_of", Value(s));
          if (!neg) ClubHobby(subj, s, conf * 0.8f);
        }
        return;
      }
    }
    // "I'm a nurse", "I've been a teacher for years"
    if (L(j) == "a" || L(j) == "an") {
      Job(subj, j, conf, neg, true);
      return;
    }
    if (!neg) {
      // "I've been doing yoga", "I've been going to salsa classes", "I'm taking pottery lessons".
      if (been && L(j) == "doing" && Doing(subj, j + 1, conf * 0.9f)) return Trip(subj, j);
      if (L(j) == "going" && L(j + 1) == "to" && ClassHobby(subj, j + 2, conf * 0.9f)) return;
      if (L(j) == "taking" && ClassHobby(subj, j + 1, conf * 0.9f)) return;
    }
    // "I've been driving for Uber": paid work, not a hobby.
    if (In(L(j), kWorkGerunds) && L(j + 1) == "for") return Employer(subj, j + 2, conf, neg);
    // "I've been painting a lot": a hobby.
    if (been && L(j).ends_with("ing") && !In(L(j), kNotHobbies) && !neg) {
      Hobby(subj, j, conf * 0.9f, false);
      Trip(subj, j);
    }
  }

  void VerbClause(const std::string& subj, size_t v, float conf, bool stopping, bool negative, bool group) {
    const std::string verb = BaseVerb(L(v));
    const size_t k = v + 1;
    if (In(L(v), kTripVerbs) && !negative && !stopping) Trip(subj, v);
    // Preferences.
    if (verb == "love" || verb == "like" || verb == "enjoy" || verb == "adore" || verb == "loved" ||
        verb == "liked" || verb == "enjoyed" || verb == "prefer") {
      if ((verb == "loved" || verb == "liked" || verb == "enjoyed") && !stopping) {
        // Past tense: a one-off ("I loved the movie") unless after "have".
        if (!(v > 0 && (L(v - 1) == "always" || L(v - 1) == "i've" || L(v - 1) == "have"))) return;
      }
      if (v > 0 && (L(v - 1) == "would" || L(v - 1) == "i'd")) return;
      size_t o = k;
      bool to_verb = false;
      if (L(o) == "to") ++o, to_verb = true;
      if (negative) {
        for (Span s : NPList(o)) {
          if (!Demonstrative(s)) Like(subj, "dislikes", LikeValue(s, to_verb), conf);
        }
        return;
      }
      for (Span s : NPList(o)) {
        if (Demonstrative(s)) continue;
        // "I love my new job at Ferncliff": says where, not a taste.
        if ((Head(s) == "job" || Head(s) == "work") && (L(s.e) == "at" || L(s.e) == "with")) {
          if (!stopping) Employer(subj, s.e + 1, conf, false);
          continue;
        }
        Like(subj, "likes", LikeValue(s, to_verb), conf, stopping);
      }
      return;
    }
    if (verb == "hate" || verb == "dislike" || verb == "detest" || verb == "loathe" ||
        P(v, {"can't", "stand"}) != kNone || P(v, {"cannot", "stand"}) != kNone) {
      size_t o = (verb == "can't" || verb == "cannot") ? v + 2 : k;
      bool to_verb = false;
      if (L(o) == "to") ++o, to_verb = true;
      for (Span s : NPList(o)) {
          if (!Demonstrative(s)) Like(subj, "dislikes", ValueOrGerund(s, to_verb), conf);
        }
      return;
    }
    // Diet.
    if (verb == "eat" || verb == "eating" || verb == "drink" || verb == "drinking") {
      for (Span s : NPList(k, 2)) {
        std::string food = Value(s);
        if (stopping) {
          Fact(subj, "diet", (verb == "drink" || verb == "drinking" ? "drinks " : "eats ") + food, conf, true);
          Fact(subj, "diet", "no " + food, conf);
        } else if (negative) {
          Fact(subj, "diet", "no " + food, conf);
        }
      }
      return;
    }
    if (verb == "went" || verb == "became" || verb == "turned" || verb == "gone") {
      // "I went vegan", "I've gone fully vegan"
      if (const size_t d = SkipAdverbs(k); In(L(d), kDiets)) {
        Fact(subj, "diet", L(d), conf);
        return;
      }
    }
    // Work.
    if (size_t e = LeftEmployerAt(v); e != kNone && !negative) return Employer(subj, e, conf, true);
    if ((verb == "drive" || verb == "deliver") && L(k) == "for" && !negative) {
      return Employer(subj, k + 1, conf, stopping);  // "I drive for Uber"
    }
    if (verb == "work" || verb == "worked") {
      if (verb == "worked" && !stopping) return;  // past job: not a current fact
      size_t w = k;
      while (In(L(w), kWorkSchedules)) ++w;  // "I work nights as a security guard"
      if (L(w) == "as") return Job(subj, w + 1, conf, stopping || negative, false);
      if (L(w) == "at" || L(w) == "for") return Employer(subj, w + 1, conf, stopping || negative);
      if (L(k) == "in") {
        if (Span s = NP(k + 1, 3); s.ok()) {
          const Span name = NameAt(k + 1);
          if (name.ok() && (IsGazetteerPlace(name) || IsWordNetPlaceName(NameText(name)) || HasPlaceWord(name))) {
            // "Lourdes works in Leeds": where, not for whom.
            Ent(NameText(name), EntityType::kPlace);
          } else if (L(k + 1) == "a" || L(k + 1) == "an" || L(k + 1) == "the" || w_[s.b].capitalised) {
            Employer(subj, k + 1, conf, stopping || negative);
          } else {
            Fact(subj, "occupation", Value(s), conf * 0.8f, stopping || negative);
          }
        }
      }
      return;
    }
    if ((verb == "teach" || verb == "taught") && !negative) {
      // "I teach maths at Riverside High": where, not what.
      if (verb == "taught" && !stopping) return;
      for (size_t p = k; p < w_.size() && p < k + 4 && !w_[p].punct; ++p) {
        if (L(p) == "at") return Employer(subj, p + 1, conf, stopping);
      }
      return;
    }
    if (verb == "got" && (L(k) == "married" || L(k) == "engaged" || L(k) == "divorced")) {
      Fact(subj, "relationship_status", L(k), conf);
      if (L(k) != "divorced" && L(k + 1) == "to") {
        if (Span n = NameAt(k + 2); n.ok()) {
          Ent(NameText(n), EntityType::kPerson);
          Rel(NameText(n), "partner_of", subj);
        }
      }
      return;
    }
    if (verb == "got" || verb == "started" || verb == "landed" || verb == "took" || verb == "accepted") {
      size_t j = k;
      if (verb == "started" && L(j) == "as") return Job(subj, j + 1, conf, false, true);
      if (verb == "started" && L(j) == "at" && !negative) {
        // "I started at Quillstone Labs": a new employer, when the name is
        // no place, school, person or title ("I started at Harvard" is as
        // likely a student's, "started at 9" names nothing).
        Span n = NameAt(j + 1);
        if (n.ok() && !Known(NameText(n)) && !EndsWithPossessive(n.e - 1) && !HasPlaceWord(n) &&
            !IsGazetteerPlace(n) && !NamesATitle(n) && !In(StripPossessive(L(n.e - 1)), kSchools) &&
            !In(StripPossessive(L(n.e - 1)), kGroups)) {
          return Employer(subj, j + 1, conf, false);
        }
        return;
      }
      if (verb == "started" && L(j) == "working") {
        ++j;
        if (L(j) == "as") return Job(subj, j + 1, conf, false, false);
        if (L(j) == "at" || L(j) == "for") return Employer(subj, j + 1, conf, false);
      }
      if (size_t e = P(j, {"a", "job"}); e != kNone) j = e;
      else if (size_t e2 = P(j, {"a", "new", "job"}); e2 != kNone) j = e2;
      else if (size_t e3 = P(j, {"hired"}); e3 != kNone) j = e3;
      else j = kNone;
      if (j != kNone) {
        if (L(j) == "as") return Job(subj, j + 1, conf, false, false);
        if (L(j) == "at" || L(j) == "with" || L(j) == "by") return Employer(subj, j + 1, conf, false);
        return;
      }
    }
    if (verb == "became" || verb == "become") {
      if (L(k) == "a" || L(k) == "an") Job(subj, k, conf, false, true);
      return;
    }
    // "joined Paystack as a compliance analyst": an employer and a job.
    if ((verb == "joined" || verb == "join") && !negative) {
      Span n = NameAt(k);
      if (n.ok() && L(n.e) == "as" && !Known(NameText(n)) && !IsGazetteerPlace(n)) {
        Employer(subj, k, conf, false);
        Job(subj, n.e + 1, conf, false, false);
        return;
      }
    }
    if ((verb == "quit" || verb == "left") && !negative) {
      // "I quit Pixelworks", "I left Granite Bank": an employer, when the
      // name says it is an organisation or is already known as one.
      Span n = NameAt(L(k) == "the" ? k + 1 : k);
      // "I finally left Lagos": a home left behind.
      if (verb == "left" && L(k) != "the" && n.ok() && !Known(NameText(n)) &&
          (IsGazetteerPlace(n) || IsWordNetPlaceName(NameText(n)))) {
        Ent(NameText(n), EntityType::kPlace);
        Fact(subj, "home", NameText(n), conf, true);
        return;
      }
      // "I left Zoho in march", "left Flutterwave after four years": a name
      // left at a time is a job left.
      static constexpr std::string_view kMonthWords[] = {
          "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov",
          "dec", "spring", "summer", "autumn", "fall", "winter"};
      const bool left_at_a_time =
          n.ok() && (L(n.e) == "after" || L(n.e) == "last" || L(n.e) == "btw" ||
                     ((L(n.e) == "in" || L(n.e) == "this") && In(L(n.e + 1), kMonthWords)));
      if (verb == "left" && L(k) != "the" && left_at_a_time && !Known(NameText(n)) && !HasPlaceWord(n) &&
          !IsWordNetPlaceName(NameText(n)) && !In(StripPossessive(L(n.e - 1)), kGroups)) {
        return Employer(subj, k, conf, true);
      }
      if (n.ok() && !Known(NameText(n)) && !HasPlaceWord(n) && !IsGazetteerPlace(n) &&
          (HasOrgWord(n) && !In(StripPossessive(L(n.e - 1)), kGroups))) {
        return Employer(subj, L(k) == "the" ? k + 1 : k, conf, true);
      }
      // "I quit Telerik last spring": one quits a job, not a town.
      if (verb == "quit" && L(k) != "the" && n.ok() && !Known(NameText(n)) && !HasPlaceWord(n) &&
          !IsGazetteerPlace(n) && !IsWordNetPlaceName(NameText(n)) && !In(StripPossessive(L(n.e - 1)), kGroups)) {
        return Employer(subj, k, conf, true);
      }
    }
    if ((verb == "quit" || verb == "left") && (L(k) == "my" || L(k) == "our") && L(k + 1) == "job") {
      size_t j = k + 2;
      if (L(j) == "at") return Employer(subj, j + 1, conf, true);
      if (L(j) == "as") return Job(subj, j + 1, conf, true, false);
      Fact(subj, "works_at", "", conf, true);  // employer unknown: closes any open works_at
      return;
    }
    if (verb == "retired") {
      Fact(subj, "occupation", "retired", conf);
      if (L(k) == "from") Employer(subj, k + 1, conf, true);
      return;
    }
    // Home.
    if (verb == "live" || verb == "lived") {
      if (verb == "lived" && !(v > 0 && (L(v - 1) == "i've" || L(v - 1) == "have"))) {
        if (L(k) == "in") Place(subj, "home", "lived_in", k + 1, conf, true, /*fact_only_negated=*/true);
        return;
      }
      if (L(k) == "in") Place(subj, "home", "lives_in", k + 1, conf, stopping || negative);
      return;
    }
    if (verb == "moved" || verb == "relocated" || verb == "move") {
      if (verb == "move" && !negative) return;  // "I want to move to ..." is a plan
      size_t j = k;
      // "moved back", "moved up from Montréal", "moved over to Leeds"
      if (L(j) == "back" || L(j) == "up" || L(j) == "down" || L(j) == "over") ++j;
      if (size_t e = P(j, {"out", "of"}); e != kNone) return (void)Place(subj, "home", "lives_in", e, conf, true);
      if (size_t e = P(j, {"away", "from"}); e != kNone) return (void)Place(subj, "home", "lives_in", e, conf, true);
      if (L(j) == "from") {
        Span from = Place(subj, "home", "lives_in", j + 1, conf, true);
        if (from.ok() && L(from.e) == "to") Place(subj, "home", "lives_in", from.e + 1, conf, false);
        return;
      }
      if (L(j) == "to" || L(j) == "into") {
        // "relocated to Mysuru from Thrissur": the town left is no longer home.
        Span to = Place(subj, "home", "lives_in", j + 1, conf, false);
        if (to.ok() && L(to.e) == "from") Place(subj, "home", "lives_in", to.e + 1, conf, true);
      }
      return;
    }
    if (size_t e = P(v, {"grew", "up", "in"}); e != kNone) return (void)Place(subj, "origin", "from", e, conf, false);
    if (size_t e = P(v, {"grew", "up", "near"}); e != kNone) return (void)Place(subj, "origin", "from", e, conf, false);
    if (size_t e = P(v, {"was", "born", "in"}); e != kNone) return (void)Place(subj, "origin", "from", e, conf, false);
    if (size_t e = P(v, {"come", "from"}); e != kNone) return (void)Place(subj, "origin", "from", e, conf, false);
    // Possessions, pets and family members someone has.
    if (verb == "have" || verb == "own" || verb == "bought" || verb == "purchased" || verb == "adopted" ||
        verb == "rescued" || verb == "got" || verb == "sold" || verb == "owned" || verb == "had" ||
        P(v, {"got", "rid", "of"}) != kNone) {
      size_t o = P(v, {"got", "rid", "of"}) != kNone ? v + 3 : k;
      if (verb == "got" && L(o) == "myself") ++o;
      bool sold = verb == "sold" || L(v + 1) == "rid";
      bool ended = sold || ((verb == "owned" || verb == "had") && stopping);
      if ((verb == "had" || verb == "owned") && !stopping) return;
      if (negative && (verb == "have" || verb == "own")) return;  // "I don't have a recipe"
      Possession(subj, verb, o, group ? 0.7f : (verb == "have" ? 0.75f : conf), ended || (stopping && !sold) ||
                 (negative && verb != "have"));
      return;
    }
    // Hobbies.
    // "I used to do judo", "I do yoga" (not "I do love watching classics"),
    // "I do kukeri dancing now", "I do ssireum at a club".
    if (verb == "do" && !negative && (IsActivity(L(k)) || L(k) == "a" || L(k) == "some") &&
        Doing(subj, k, conf * 0.9f, stopping)) {
      return;
    }
    if (verb == "do" && !negative && DoneActivity(k)) {
      Fact(subj, "hobby", Value(NP(k, 2)), conf * 0.85f, stopping);
      return;
    }
    if (verb == "go" && L(k) == "to" && !negative && ClassHobby(subj, k + 1, conf * 0.9f)) return;
    if (verb == "signed" && L(k) == "up" && L(k + 1) == "for") return (void)ClassHobby(subj, k + 2, conf * 0.9f);
    if (verb == "go" && L(k).ends_with("ing") && !In(L(k), kNotHobbies)) {
      if (!negative) Hobby(subj, k, conf * 0.9f, stopping);
      else Hobby(subj, k, conf * 0.9f, stopping);
      return;
    }
    if (verb == "play" || verb == "practice" || verb == "practise" || verb == "played") {
      if (verb == "played" && !stopping) return;
      size_t o = L(k) == "the" ? k + 1 : k;
      if (Span s = NP(o, 2); s.ok() && !In(std::string_view(Head(s)), kNonObjects)) {
        Fact(subj, "hobby", std::string(verb == "practise" ? "practicing" : verb == "practice" ? "practicing" : "playing") +
                                " " + Value(s),
             conf * 0.9f, stopping || negative);
      }
      return;
    }
    if (verb == "stopped" || verb == "quit" || verb == "gave" || verb == "started" || verb == "took" ||
        verb == "taken" || verb == "picked" || verb == "begun" || verb == "began") {
      bool end = verb == "stopped" || verb == "quit" || verb == "gave";
      size_t o = k;
      if (verb == "gave" || verb == "took" || verb == "taken" || verb == "picked") {
        if (L(o) != "up") return;
        ++o;
      }
      if (verb == "stopped" && (L(o) == "eating" || L(o) == "drinking")) {
        return VerbClause(subj, o, conf, true, false, group);
      }
      if (verb == "stopped" && L(o) == "working" && (L(o + 1) == "at" || L(o + 1) == "for")) {
        return Employer(subj, o + 2, conf, true);
      }
      if (end && L(o).ends_with("ing") && !In(L(o), kNotHobbies)) return Hobby(subj, o, conf, true);
      if (!end) {
        // "I started doing yoga", "I started pottery classes", "I took up salsa lessons".
        if (L(o) == "doing" && Doing(subj, o + 1, conf * 0.9f)) return;
        if (ClassHobby(subj, o, conf * 0.9f)) return;
      }
      if ((verb == "started" || verb == "began" || verb == "begun") && L(o).ends_with("ing") &&
          !In(L(o), kNotHobbies)) {
        return Hobby(subj, o, conf * 0.9f, false);
      }
      if (verb == "gave" || verb == "took" || verb == "taken" || verb == "picked" || verb == "quit") {
        // "I gave up on keto", "I quit paleo": a diet ended.
        const size_t d = verb == "gave" && L(o) == "on" ? o + 1 : o;
        if (end && (verb == "gave" || verb == "quit") && In(L(d), kDiets)) {
          Fact(subj, "diet", L(d), conf, true);
          return;
        }
        if (Span s = NP(o, 2); s.ok()) {
          std::string value = Value(s);
          if ((verb == "gave" || verb == "quit") &&
              (In(std::string_view(Head(s)), kFoods) || In(std::string_view(Head(s)), kDrinks))) {
            Fact(subj, "diet", (In(std::string_view(Head(s)), kDrinks) ? "drinks " : "eats ") + value, conf, true);
            Fact(subj, "diet", "no " + value, conf);
          } else if (!(verb == "quit" && Head(s) == "job") && (!end || IsActivity(Head(s))) &&
                     !In(std::string_view(Head(s)), kNotHobbyObjects)) {
            // "I quit the team" ends no named activity; "I gave up tennis" does.
            Fact(subj, "hobby", value, conf * 0.9f, end);
          }
        }
      }
      return;
    }
    // Going places and events.
    if (verb == "went" || verb == "attended" || verb == "visited" || verb == "traveled" || verb == "travelled" ||
        verb == "flew" || verb == "drove") {
      size_t o = k;
      if (verb != "attended" && verb != "visited") {
        if (L(o) != "to") return;
        ++o;
      }
      Span s = NP(o, 4);
      if (!s.ok()) return;
      if (In(std::string_view(Head(s)), kEventHeads)) {
        std::string ev = Value(s);
        Ent(ev, EntityType::kEvent);
        Rel(subj, "attended", ev);
        return;
      }
      Span n = NameAt(s.b);  // "visited the Louvre"; not "went to an LGBTQ+ workshop"
      if (n.ok() && n.e == s.e && !(n.e - n.b == 1 && w_[n.b].acronym && !IsGazetteerPlace(n))) {
        EntityType t = TypeOfName(n, EntityType::kPlace);
        Ent(NameText(n), t);
        Rel(subj, t == EntityType::kPerson ? "met" : t == EntityType::kEvent ? "attended" : "visited", NameText(n));
      }
      return;
    }
    if (verb == "joined") {
      if (Span s = NP(k, 4); s.ok()) {
        // "I joined Brightleaf Studio as an art director": a new employer.
        if (Span n = NameAt(s.b); n.ok() && n.e == s.e && !In(Head(s), kGroups) && L(s.e) == "as" &&
                                  JobFollows(s.e + 1)) {
          return Employer(subj, k, conf, negative);
        }
        // "I joined a team": a bare generic group word names no group ("a choir" does).
        if (s.e - s.b == 1 && In(Head(s), kGenericGroups) && (L(s.b - 1) == "a" || L(s.b - 1) == "an")) return;
        NamedObject(s, EntityType::kOrganisation);
        Rel(subj, "member_of", Value(s));
        if (!negative) ClubHobby(subj, s, conf * 0.8f);
      }
      return;
    }
    if (verb == "volunteer" && (L(k) == "at" || L(k) == "with" || L(k) == "for")) {
      if (Span s = NP(k + 1, 4); s.ok()) {
        NamedObject(s, EntityType::kOrganisation);
        Rel(subj, "volunteers_at", Value(s));
        Fact(subj, "hobby", "volunteering", conf * 0.8f, stopping || negative);
      }
      return;
    }
    if (verb == "married" || verb == "dating" || verb == "date") {
      if (Span n = NameAt(k); n.ok()) {
        Ent(NameText(n), EntityType::kPerson);
        Rel(NameText(n), "partner_of", subj);
      }
      return;
    }
  }

  // A preference value; "to paint" becomes "painting".
  std::string ValueOrGerund(Span s, bool to_verb) const {
    if (!to_verb) return Value(s);
    std::string v = Gerund(L(s.b));
    for (size_t i = s.b + 1; i < s.e; ++i) {
      v += ' ';
      v += Surface(i);
    }
    return v;
  }

  // "working with kids": a few gerunds keep a bare "with" object (not "with
  // my dog", not "with friends": those say whom, not what).
  std::string LikeValue(Span s, bool to_verb) const {
    static constexpr std::string_view kWithGerunds[] = {"working", "playing", "volunteering", "experimenting",
                                                        "tinkering", "work", "play", "volunteer", "experiment",
                                                        "tinker"};
    std::string v = ValueOrGerund(s, to_verb);
    if (s.e - s.b != 1 || !In(L(s.b), kWithGerunds) || L(s.e) != "with") return v;
    Span o = NP(s.e + 1, 2);
    const Kin* kin = FindKin(Head(o));  // "with kids" is what; "with friends" is whom
    if (!o.ok() || o.b != s.e + 1 || (kin != nullptr && !kin->family) || w_[o.b].capitalised) return v;
    return v + " with " + Value(o);
  }

  // "I love that idea": a demonstrative points at the conversation, not at a
  // lasting preference.
  bool Demonstrative(Span s) const {
    return s.b > 0 && (L(s.b - 1) == "that" || L(s.b - 1) == "this" || L(s.b - 1) == "those" || L(s.b - 1) == "these");
  }

  void Like(const std::string& subj, const std::string& attribute, const std::string& value, float conf,
            bool negated = false) {
    if (value.empty()) return;
    Fact(subj, attribute, value, conf, negated);
    if (!negated) Rel(subj, attribute, value);
  }

  // "laid off from", "got laid off from", "was fired from", "resigned from"
  // at v: the index of the employer left, or kNone.
  size_t LeftEmployerAt(size_t v) const {
    if (L(v) == "got" || L(v) == "was" || L(v) == "been") ++v;
    for (auto left : {std::initializer_list<std::string_view>{"laid", "off", "from"}, {"let", "go", "from"},
                      {"fired", "from"}, {"resigned", "from"}, {"sacked", "from"}}) {
      if (size_t e = P(v, left); e != kNone) return e;
    }
    return kNone;
  }

  void Job(const std::string& subj, size_t j, float conf, bool negated, bool need_lexicon) {
    Span s = NP(j, 4);
    if (!s.ok()) return;
    // Cut after the last job word: "a translator keeps me busy".
    for (size_t e = s.e; e > s.b; --e) {
      if (In(L(e - 1), kJobs)) {
        s.e = e;
        break;
      }
    }
    if (need_lexicon && !In(std::string_view(Head(s)), kJobs)) return;
    std::string job = Value(s);
    Fact(subj, "occupation", job, conf, negated);
    if (!negated) Rel(subj, "works_as", job);
    // "a chef at Noma", "a nurse at the children's hospital", "a pilot with
    // Kenya Airways" (with: only before a name)
    const bool with_name = L(s.e) == "with" && s.e + 1 < w_.size() && w_[s.e + 1].capitalised;
    if ((L(s.e) == "at" || L(s.e) == "for" || with_name) && !negated) Employer(subj, s.e + 1, conf, false);
  }

  // A job word within the noun phrase at j ("an art director"; not "a volunteer").
  bool JobFollows(size_t j) const {
    Span s = NP(j, 4);
    for (size_t k = s.ok() ? s.b : s.e; s.ok() && k < s.e; ++k) {
      if (In(L(k), kJobs)) return true;
    }
    return false;
  }

  void Employer(const std::string& subj, size_t j, float conf, bool negated) {
    if (L(j) == "home" || L(j) == "night" || L(j) == "myself" || (L(j) == "the" && L(j + 1) == "moment")) return;
    Span s = NP(j, 4);
    if (!s.ok()) return;
    static constexpr std::string_view kDurations[] = {"years", "months", "weeks", "days", "hours", "year",
                                                      "month", "week", "while", "ages", "decade", "decades"};
    if (In(Head(s), kDurations)) return;  // "for ten years"
    if (s.e - s.b == 1 && In(Head(s), kVagueWorkplaces)) return;  // "at a place near the station"
    // "a bakery called Crumb & Co": the name says more than the noun.
    if ((L(s.e) == "called" || L(s.e) == "named") && !w_[s.b].capitalised) {
      if (Span n = NameAt(s.e + 1); n.ok()) s = n;
    }
    std::string org = Value(s);
    // Where someone works is an organisation ("the Hartley Museum"), unless
    // its name says it is a place ("Golden Gate Park").
    static constexpr std::string_view kInstitutions[] = {"museum", "gallery", "library", "theatre", "theater",
                                                         "zoo", "aquarium"};
    if (Span n = NameAt(s.b); n.ok() && n.e == s.e && !Known(NameText(n))) {
      const bool place = HasPlaceWord(n) && !In(StripPossessive(L(n.e - 1)), kInstitutions);
      Ent(NameText(n), place ? EntityType::kPlace : EntityType::kOrganisation);
    }
    Fact(subj, "works_at", org, conf, negated);
    if (!negated) Rel(subj, "works_at", org);
    // "I work at Golden Gate Park as a gardener"
    if (!negated && L(s.e) == "as") Job(subj, s.e + 1, conf, false, true);
  }

  // A place object ("Denver", "a small town"): returns its span.
  Span Place(const std::string& subj, const std::string& attribute, const std::string& relation, size_t j,
             float conf, bool negated, bool fact_only_negated = false) {
    Span s = NP(j, 4);
    if (!s.ok()) return s;
    // "a tiny flat in Glasgow": the named place says more than the flat.
    if (!w_[s.b].capitalised && L(s.e) == "in") {
      if (Span n = NameAt(s.e + 1); n.ok()) s = n;
    }
    if (attribute == "home" && In(Head(s), kDwellings)) {
      bool says_where = false;
      for (size_t k = s.b; k < s.e; ++k) says_where = says_where || w_[k].capitalised || L(k).ends_with("'");
      if (!says_where) return s;
    }
    std::string place = Value(s);
    NamedObject(s, EntityType::kPlace);
    Fact(subj, attribute, place, conf, negated);
    if (!negated && !fact_only_negated) Rel(subj, relation, place);
    return s;
  }

  void Hobby(const std::string& subj, size_t j, float conf, bool negated) {
    std::string v = w_[j].lower;
    if (v == "volunteering" && (L(j + 1) == "at" || L(j + 1) == "with" || L(j + 1) == "for")) {
      Fact(subj, "hobby", v, conf, negated);
      if (Span s = NP(j + 2, 4); s.ok() && !negated) {
        NamedObject(s, EntityType::kOrganisation);
        Rel(subj, "volunteers_at", Value(s));
      }
      return;
    }
    // One short object: "learning Spanish", "running marathons".
    const bool skill = v == "learning" || v == "playing" || v == "practicing" || v == "practising";
    if (Span s = NP(j + 1, 2);
        s.ok() && (s.b == j + 1 || (skill && s.b == j + 2 && L(j + 1) == "the")) && !In(L(j + 1), kFillerAdjectives)) {
      v += ' ';
      v += Value(s);
    } else if (skill) {
      return;  // "started learning an instrument": learning what is not said
    }
    Fact(subj, "hobby", v, conf, negated);
  }

  // "I have a dog named Max", "I bought a kayak", "I sold my car".
  void Possession(const std::string& subj, const std::string& verb, size_t o, float conf, bool negated) {
    for (Span s : NPList(o, 3)) OnePossession(subj, verb, o, s, conf, negated);
  }
  void OnePossession(const std::string& subj, const std::string& verb, size_t o, Span s, float conf, bool negated) {
    std::string_view head = Head(s);
    if (const Kin* kin = FindKin(head); kin && kin->family && !negated) {
      if (verb == "have" || verb == "adopted") Fact(subj, "family", std::string(head), conf);
      return;
    }
    const bool named_breed = !In(head, kPets) && !NameAfter(s.e).empty() && IsWordNetBreed(head);
    // "a hawk called Lumi", "a goat named Brânză": any animal given a name.
    const bool named_animal = !In(head, kPets) && !named_breed && (L(s.e) == "named" || L(s.e) == "called") &&
                              !NameAfter(s.e).empty() && IsWordNetAnimal(head);
    if (In(head, kPets) || named_breed || named_animal ||
        (head == "pig" && s.e - s.b >= 2 && L(s.e - 2) == "guinea")) {
      std::string pet(head == "pig" ? "guinea pig" : In(head, kBreeds) || named_breed ? Value(s) : std::string(head));
      std::string name = NameAfter(s.e);
      if (!name.empty()) {
        pet += " " + name;
        Ent(name, EntityType::kThing);
        if (!negated) Rel(name, "pet_of", subj);
      }
      Fact(subj, "pet", pet, conf, negated);
      return;
    }
    if (In(head, kNotOwned) || verb == "adopted" || verb == "rescued") return;
    const bool got_rid = verb == "got" && o >= 2 && L(o - 1) == "of" && L(o - 2) == "rid";
    if (verb == "got" && !got_rid && !(s.b > o && In(L(s.b - 1), kFillerAdjectives))) return;  // "got a call"
    if (verb == "have" && s.b > 0 && !In(L(s.b - 1), kDeterminers) && !In(L(s.b - 1), kFillerAdjectives) &&
        !w_[s.b - 1].number && L(s.b - 1) != "two" && L(s.b - 1) != "three") {
      return;  // "I have plenty of", "I have fun": no article, rarely a possession
    }
    std::string thing = Value(s);
    Ent(thing, EntityType::kThing);
    Fact(subj, "owns", thing, conf, negated);
    if (!negated) Rel(subj, "owns", thing);
  }

  // "passed away", "died", "ran away" within a few words from j, in the
  // same clause: the pet just named is no longer there.
  bool PetGone(size_t j) const {
    for (size_t k = j; k < w_.size() && k < j + 5 && !w_[k].punct; ++k) {
      if ((L(k) == "passed" && L(k + 1) == "away") || L(k) == "died" || (L(k) == "ran" && L(k + 1) == "away")) {
        return true;
      }
    }
    return false;
  }

  // "Max", "named Max", "called Max", ", Max," right after a kin or pet noun.
  std::string NameAfter(size_t j) const {
    if (L(j) == "," ) ++j;
    if (L(j) == "named" || L(j) == "called") ++j;
    Span n = NameAt(j);
    if (!n.ok()) return "";
    // Only a short run: "my sister Anna Lee", not a whole title-cased clause.
    if (n.e - n.b > 2) return "";
    return NameText(n);
  }

  // "my sister Anna", "our dog Max", "your husband", "Anna's brother Tom",
  // "my favourite band is X", "my job as a nurse".
  void Possessive(size_t i) {
    std::string owner;
    const std::string& l = L(i);
    if (l == "my" || l == "our") owner = who_.speaker;
    else if (l == "your") owner = who_.addressee;
    else owner = std::string(StripPossessive(w_[i].text));
    if (owner.empty()) return;
    const bool first_person = l == "my" || l == "our";
    size_t j = i + 1;
    // Skip numbers and a few adjectives: "my two kids", "my little sister", "my best friend".
    while (j < w_.size() && (w_[j].number || L(j) == "two" || L(j) == "three" || L(j) == "four" ||
                             L(j) == "little" || L(j) == "big" || L(j) == "older" || L(j) == "younger" ||
                             L(j) == "best" || L(j) == "old" || L(j) == "new" || (L(j) == "baby" && FindKin(L(j + 1))) ||
                             L(j) == "eldest" || L(j) == "youngest" || L(j) == "oldest" || L(j) == "twin")) {
      ++j;
    }
    if (j >= w_.size()) return;
    const std::string head = std::string(StripPossessive(L(j)));
    if (const Kin* kin = FindKin(head)) {
      std::string name = L(j).ends_with("'s") ? "" : NameAfter(j + 1);
      // "my sister's name is Anna"
      if (name.empty() && L(j).ends_with("'s") && L(j + 1) == "name" && L(j + 2) == "is") {
        if (Span n = NameAt(j + 3); n.ok()) name = NameText(n);
      }
      if (!name.empty() && AsciiEqualsIgnoreCase(name, owner)) name.clear();
      if (kin->family && (first_person || l == "your")) {
        Fact(owner, "family", name.empty() ? head : head + " " + name, first_person ? 0.8f : 0.6f);
        // "my mum and dad": both are family.
        if (const Kin* other = FindKin(L(j + 2)); name.empty() && L(j + 1) == "and" && other && other->family &&
                                                  NameAfter(j + 3).empty()) {
          Fact(owner, "family", L(j + 2), first_person ? 0.8f : 0.6f);
        }
      }
      if (!name.empty()) {
        Ent(name, EntityType::kPerson);
        Rel(name, std::string(kin->relation), owner);
      }
      return;
    }
    // "my horse painting", "our dog food": the pet word modifies another noun.
    static constexpr std::string_view kPetCompounds[] = {"food", "bed", "toy", "toys", "park", "walker", "sitter",
                                                         "photo", "picture", "costume", "treats", "hair", "show",
                                                         "video", "sculpture", "drawing", "painting", "mug"};
    const bool compound = L(j + 1).ends_with("ing") || In(L(j + 1), kPetCompounds);
    if (In(std::string_view(head), kPets) && !compound && (first_person || l == "your")) {
      std::string name = NameAfter(j + 1);
      const bool gone = PetGone(j + 1);  // "our cat Mango passed away"
      if (!name.empty()) {
        Ent(name, EntityType::kThing);
        if (!gone) Rel(name, "pet_of", owner);
      }
      Fact(owner, "pet", name.empty() ? head : head + " " + name, first_person ? 0.8f : 0.6f, gone);
      return;
    }
    if (first_person && (L(j) == "favourite" || L(j) == "favorite")) {
      // "my favourite X is Y" / "my favourite is Y"
      size_t k = j + 1;
      while (k < w_.size() && k < j + 4 && L(k) != "is" && !w_[k].punct) ++k;
      if (L(k) == "is" || L(k) == "has") {
        if (L(k) == "has") return;
        size_t o = k + 1;
        if (L(o) == "probably" || L(o) == "definitely" || L(o) == "still") ++o;
        if (L(o) == "to") ++o;
        if (IsQuote(o)) ++o;  // my favourite book is "Piranesi"
        for (Span s : NPList(o)) {
          NamedObject(s, EntityType::kThing);
          Like(owner, "likes", Value(s), 0.9f);
        }
      }
      return;
    }
    const bool ended = i > 0 && (L(i - 1) == "quit" || L(i - 1) == "left" || L(i - 1) == "lost");
    if (first_person && !ended && (L(j) == "job" || L(j) == "work") && L(j + 1) == "as") {
      Job(owner, j + 2, 0.8f, false, false);
    }
  }

  // Capitalised names not claimed by a pattern: people by default, places
  // after in/to/from or in the gazetteer, organisations by suffix.
  void Names() {
    for (size_t i = 0; i < w_.size(); ++i) {
      if (w_[i].punct) continue;
      // Titles: "Dr. Smith", "Mrs Lee".
      if (In(L(i), kTitles) && w_[i].capitalised) {
        size_t j = i + 1;
        if (L(j) == ".") ++j;
        if (Span n = NameAt(j); n.ok()) {
          std::string name = NameText(n);
          std::string titled = w_[i].text + (L(i + 1) == "." ? ". " : " ") + name;
          Ent(titled, EntityType::kPerson, name);
          i = n.e - 1;
          continue;
        }
      }
      Span n = NameAt(i);
      if (!n.ok()) continue;
      // "Later Ångström called": a sentence-initial adverb is not part of the name.
      if (n.b == 0 && n.e - n.b > 1 && (In(L(0), kSentenceStarters) || (L(0).size() > 4 && L(0).ends_with("ly")))) {
        continue;
      }
      if (In(L(n.e), kEventHeads)) {  // "the Glastonbury festival": the event was recorded whole
        i = n.e - 1;
        continue;
      }
      std::string name = NameText(n);
      bool known = std::any_of(known_.begin(), known_.end(),
                               [&](const std::string& k) { return AsciiEqualsIgnoreCase(k, name); });
      std::string lower_last = AsciiLower(StripPossessive(L(n.e - 1)));
      bool gazetteer = n.e - n.b == 1 && In(lower_last, kPlaces);
      // At the start of a sentence a capital says nothing; also skip
      // acronyms standing alone (LGBTQ, TV): they are rarely entities.
      const bool non_ascii = std::any_of(w_[n.b].text.begin(), w_[n.b].text.end(),
                                         [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
      // "Vikram told me ...": a verb said of people follows the name.
      const bool person_verb = In(L(n.e), kPersonVerbs) && (L(n.e) != "grew" || L(n.e + 1) == "up") &&
                               !OpensSentenceOnly(n.b);
      // "Georgia from my yoga class", "Sydney from work": someone one knows.
      // Not a name that says it is a place ("I can see Mount Kenya from my balcony").
      const bool from_circle = L(n.e) == "from" && !HasPlaceWord(n) &&
                               (In(L(n.e + 1), kCircles) || (L(n.e + 1) == "the" && In(L(n.e + 2), kCircles)));
      // "Warwick is visiting from Durban", "Noor is coming over".
      const bool visiting = (L(n.e) == "is" || L(n.e) == "was") &&
                            (L(n.e + 1) == "visiting" || L(n.e + 1) == "coming" || L(n.e + 1) == "staying");
      // "Paris and I got engaged", "Paris, my former flatmate", "a guy named
      // Paris": said to be someone.
      const bool with_me = L(n.e) == "and" && (L(n.e + 1) == "i" || L(n.e + 1) == "me");
      const std::optional<EntityType> apposed = KindInApposition(n);
      const std::optional<EntityType> called = KindBeforeName(n.b);
      const bool person_evidence = person_verb || from_circle || visiting || with_me ||
                                   apposed == EntityType::kPerson || called == EntityType::kPerson;
      const bool looks_named = non_ascii || EndsWithPossessive(n.b) || person_evidence || EmployerCue(n) ||
                               NamedAsAPlace(n) ||
                               (L(n.e) == "and" && n.e + 1 < w_.size() && w_[n.e + 1].capitalised);
      // "Tartu is getting so expensive": a place WordNet knows, followed by
      // a verb of being or having, counts even first in a sentence ("Nice
      // to meet you" has no such verb after the name).
      const bool place_subject = n.b == 0 && n.e < w_.size() && In(L(n.e), kBeingOrHaving) &&
                                 IsWordNetPlaceName(NameText(n));
      if (n.b == 0 && !known && !gazetteer && n.e - n.b == 1 && !looks_named && !place_subject) {
        i = n.e - 1;
        continue;
      }
      if (n.e - n.b == 1 && w_[n.b].acronym && !gazetteer) {
        i = n.e - 1;
        continue;
      }
      EntityType type = EntityType::kPerson;
      const std::string& prev = n.b > 0 ? L(n.b - 1) : L(w_.size());
      // A verb said of people outweighs a place of that name ("Paris says
      // hi", "Sydney from work is coming over"), unless a preposition of
      // place comes before it ("the rent in Sydney").
      const bool place_preposition = prev == "in" || prev == "to" || prev == "from" || prev == "near" ||
                                     prev == "at" || prev == "around";
      if (HasOrgWord(n)) type = EntityType::kOrganisation;
      else if (HasEventWord(n)) type = EntityType::kEvent;
      else if (person_evidence && !place_preposition) type = EntityType::kPerson;
      else if (gazetteer) type = EntityType::kPlace;
      else if (known) type = EntityType::kPerson;
      else if (n.e - n.b == 1 && NamesALanguage(n.b)) type = EntityType::kOther;
      // What one watches, reads or is hooked on is a title whatever its
      // words ("hooked on Mystery Road").
      else if (NamesATitle(n)) type = EntityType::kThing;
      else if (n.e - n.b == 1 && In(L(n.e), kPlaceQualifiedNouns)) type = EntityType::kPlace;
      else if (HasPlaceWord(n)) type = EntityType::kPlace;
      else if (NamesAPet(n.b)) type = EntityType::kThing;
      else if (WorkplaceCue(n.b) || EmployerCue(n) || FlownWith(n)) type = EntityType::kOrganisation;
      else if (called.has_value()) type = *called;
      else if (apposed.has_value() && !place_preposition) type = *apposed;
      else if (NamesAWorkBy(n)) type = EntityType::kThing;
      else if (SupportedClub(n)) type = EntityType::kOrganisation;
      else if (NamedAsAPlace(n) || PlaceByVerbOrDwelling(n.b)) type = EntityType::kPlace;
      else if (UsedOnline(n.b)) type = EntityType::kThing;
      // "Hjaltalín are playing", "Los Bunkers were amazing": one name with a
      // plural verb is a band or a team, not a person.
      else if (GroupVerbAfter(n)) type = EntityType::kOrganisation;
      // "I just got a Kindle": an article before a name makes it a thing.
      // ("a Casablanca cat", "a Manchester guy": a place said of them)
      else if ((prev == "a" || prev == "an") && IsWordNetPlaceName(name)) type = EntityType::kPlace;
      else if (prev == "a" || prev == "an") type = EntityType::kThing;
      else if (prev == "in" || prev == "to" || prev == "from" || prev == "near" || prev == "visit" ||
               prev == "visited" || prev == "around" || prev == "at" || prev == "through" || prev == "across" ||
               prev == "outside") type = EntityType::kPlace;
      // "in the Yukon", "anywhere in the Pacific", "treks in the Rif": a
      // name after "the" is no person, and after a preposition of place it
      // is a place.
      else if (prev == "the" && n.b >= 2 &&
               (L(n.b - 2) == "in" || L(n.b - 2) == "to" || L(n.b - 2) == "from" || L(n.b - 2) == "near" ||
                L(n.b - 2) == "across" || L(n.b - 2) == "around" || L(n.b - 2) == "through")) {
        type = EntityType::kPlace;
      }
      // A person only with evidence of one: a name WordNet knows only as a
      // place is a place (evidence of a person was weighed above), unless
      // it comes after "with" ("São Paulo rent is insane", "Tartu is ...").
      else if (prev != "with" && IsWordNetPlaceName(name)) type = EntityType::kPlace;
      // "PlayStation", "GCash", "MapleStory": a capital inside a word marks
      // a brand or a product.
      else if (Intercapped(n)) type = EntityType::kThing;
      // "Los Bunkers", "Die Ärzte", "La Liga": a name led by an article is
      // no person (after a preposition of place it was a place above).
      else if (n.e - n.b >= 2 && In(L(n.b), kNameArticles)) type = EntityType::kOrganisation;
      Ent(name, type);
      i = n.e - 1;
    }
  }

  // "flying LOT", "booked Vietjet", "fly Air Peace": a name one flies or
  // books is an airline (a place is flown to, not flown).
  bool FlownWith(Span n) const {
    static constexpr std::string_view kFlyVerbs[] = {"fly", "flying", "flew", "flown", "flies", "booking",
                                                     "booked", "book"};
    if (n.b == 0 || !In(L(n.b - 1), kFlyVerbs)) return false;
    return !IsGazetteerPlace(n) && !IsWordNetPlaceName(NameText(n)) && !Known(NameText(n));
  }

  // "a startup called Chari", "a band named Kult", "a cafe called Hana's
  // Table": the kind of thing a name is said to be called.
  std::optional<EntityType> KindBeforeName(size_t b) const {
    if (b < 2 || (L(b - 1) != "called" && L(b - 1) != "named")) return std::nullopt;
    for (size_t k = b - 1; k-- > 0 && k + 4 >= b;) {
      if (In(L(k), kPersonKinds)) return EntityType::kPerson;
      if (In(L(k), kOrgKinds)) return EntityType::kOrganisation;
      if (In(L(k), kPlaceKinds)) return EntityType::kPlace;
      if (In(L(k), kThingKinds)) return EntityType::kThing;
      if (w_[k].punct) break;
    }
    return std::nullopt;
  }

  bool GroupVerbAfter(Span n) const {
    if (L(n.e) != "are" && L(n.e) != "were") return false;
    if (n.b > 0 && (L(n.b - 1) == "the" || L(n.b - 1) == "and" || L(n.b - 1) == "&" || L(n.b - 1) == ",")) {
      return false;  // "the Smiths are", "Ana and Tom are"
    }
    return !Known(NameText(n)) && !IsGazetteerPlace(n);
  }

  // "Enyimba, my dad's club", "Paris, my former flatmate", "Paris your old
  // flatmate": the kind of thing an apposition says a name is.
  std::optional<EntityType> KindInApposition(Span n) const {
    size_t k = n.e;
    if (L(k) == ",") ++k;
    if (!In(L(k), kPossessiveDeterminers)) return std::nullopt;
    for (size_t stop = k + 4; ++k < stop && k < w_.size() && !w_[k].punct;) {
      const std::string_view head = StripPossessive(L(k));
      if (head != L(k)) continue;  // "my dad's club": the possessor is not the head
      // "in Essaouira, my cousin Youssef": a name after the noun is the one it speaks of
      if (k + 1 < w_.size() && w_[k + 1].capitalised && !w_[k + 1].punct) return std::nullopt;
      if (std::any_of(std::begin(kKin), std::end(kKin), [&](const Kin& kin) { return kin.word == head; }) ||
          In(head, kPersonKinds)) {
        return EntityType::kPerson;
      }
      if (In(head, kOrgKinds)) return EntityType::kOrganisation;
      if (In(head, kPlaceKinds)) return EntityType::kPlace;
      if (In(head, kThingKinds)) return EntityType::kThing;
    }
    return std::nullopt;
  }

  // "Ponniyin Selvan by Kalki": a work and its author.
  bool NamesAWorkBy(Span n) const { return L(n.e) == "by" && n.e + 1 < w_.size() && w_[n.e + 1].capitalised; }

  // "a Chelsea fan", "season ticket at Lech": a club one supports.
  // Only a club named after a place ("Chelsea", "Liverpool"): "a Mani
  // Ratnam fan" is a film-maker's.
  bool SupportedClub(Span n) const {
    const bool fan = L(n.e) == "fan" || L(n.e) == "fans" || L(n.e) == "supporter" || L(n.e) == "supporters";
    return fan && (IsGazetteerPlace(n) || IsWordNetPlaceName(NameText(n)));
  }

  // "we hiked up Esja", "climbed Toubkal", "a flat on Półwiejska", "a
  // bakery on Jeju": a place by the verb or the dwelling before it.
  bool PlaceByVerbOrDwelling(size_t b) const {
    static constexpr std::string_view kClimbVerbs[] = {"climbed", "climb", "climbing", "summited", "hiked",
                                                       "hiking", "hike", "skied", "conquered"};
    static constexpr std::string_view kDwellings[] = {"flat", "apartment", "house", "home", "cafe", "café",
                                                      "bakery", "shop", "restaurant", "bar", "office", "studio",
                                                      "live", "lives", "living", "lived", "stay", "staying",
                                                      "stayed", "place", "store", "stall"};
    if (b == 0) return false;
    if (In(L(b - 1), kClimbVerbs)) return true;
    if (b >= 2 && L(b - 1) == "up" && (In(L(b - 2), kClimbVerbs) || In(L(b - 2), kTripVerbs))) return true;
    return b >= 2 && L(b - 1) == "on" && In(L(b - 2), kDwellings);
  }

  // "learning Spanish on Duolingo", "watching it on Viki": a platform.
  bool UsedOnline(size_t b) const {
    static constexpr std::string_view kOnlineVerbs[] = {
        "learning", "learn", "watching", "watch", "watched", "streaming", "stream", "posted", "posting",
        "playing", "play", "listening", "listen", "found", "bought", "ordered", "selling", "sold", "chatting",
        "texting", "follow", "following", "reading", "read", "booked", "paid", "pay", "paying"};
    if (b < 2 || L(b - 1) != "on") return false;
    for (size_t k = b - 1; k-- > 0 && k + 6 >= b;) {
      if (w_[k].punct) return false;
      if (In(L(k), kOnlineVerbs)) return true;
    }
    return false;
  }

  bool Intercapped(Span n) const {
    for (size_t i = n.b; i < n.e; ++i) {
      const std::string& t = w_[i].text;
      if (w_[i].acronym) continue;
      // an upper-case letter after two lower-case ones ("PlayStation", not
      // "McDonald" or "LaToya"), or two capitals then lower case ("GCash")
      for (size_t k = 2; k < t.size(); ++k) {
        const auto c = [&](size_t at) { return static_cast<unsigned char>(t[at]); };
        if (std::isupper(c(k)) && std::islower(c(k - 1)) && std::islower(c(k - 2))) return true;
      }
      if (t.size() >= 4 && std::isupper(static_cast<unsigned char>(t[0])) &&
          std::isupper(static_cast<unsigned char>(t[1])) && std::islower(static_cast<unsigned char>(t[2])) &&
          std::islower(static_cast<unsigned char>(t[3]))) {
        return true;
      }
    }
    return false;
  }

  // "Georgian", or "learning Tigrinya": a language or nationality, from the
  // lexicon or from a verb of speaking and a language's ending.
  bool NamesALanguage(size_t b) const {
    if (In(StripPossessive(L(b)), kLanguages)) return true;
    if (IsWordNetLanguage(StripPossessive(L(b)))) return true;
    static constexpr std::string_view kLanguageVerbs[] = {"learning", "learn", "speak", "speaks", "speaking",
                                                          "spoke", "studying", "study"};
    static constexpr std::string_view kEndings[] = {"ian", "ish", "ese", "ic", "ean"};
    auto ends_with = [&](std::string_view e) { return L(b).ends_with(e); };
    auto nationality_ending = [&](std::initializer_list<std::string_view> more) {
      return std::any_of(std::begin(kEndings), std::end(kEndings), ends_with) ||
             std::any_of(more.begin(), more.end(), ends_with);
    };
    if (b == 0) return false;
    // "half Ethiopian", "a Moroccan series": a nationality said of someone
    // or something.
    const bool adjective = L(b - 1) == "half" ||
                           ((L(b - 1) == "a" || L(b - 1) == "an") && b + 1 < w_.size() && !w_[b + 1].capitalised &&
                            !w_[b + 1].punct && !w_[b + 1].number);
    if (adjective) return nationality_ending({"an", "i"});
    if (!In(L(b - 1), kLanguageVerbs)) return false;
    return nationality_ending({});
  }

  // "the Lorient Festival", "Fiestas Patrias", "Fête de la Musique", "Día de
  // Muertos", "Anzac Day": a name
  // holding a word for a festival is an event.
  bool HasEventWord(Span s) const {
    static constexpr std::string_view kFestivalWords[] = {
        "festival", "fiesta", "fiestas", "festa", "fête", "fete", "feria", "carnival", "carnaval", "marathon",
        "half-marathon", "triathlon", "olympics", "championship", "championships", "cup", "expo", "summit",
        "conference", "derby", "parade", "gala"};
    for (size_t i = s.b; i < s.e; ++i) {
      if (In(StripPossessive(L(i)), kFestivalWords)) return true;
    }
    // Feasts and holidays of many calendars ("back home for Chuseok", "Tết",
    // "Durga Puja").
    static constexpr std::string_view kHolidays[] = {
        "diwali", "deepavali", "eid", "ramadan", "hanukkah", "chanukah", "chuseok", "seollal", "tết", "pongal",
        "onam", "holi", "navratri", "nowruz", "norouz", "passover", "pesach", "purim", "sukkot", "halloween",
        "hogmanay", "juneteenth", "songkran", "obon", "vesak", "lohri", "baisakhi", "vaisakhi", "ugadi",
        "kwanzaa", "oktoberfest", "puja", "midsummer", "sinulog", "matariki", "losar", "tsagaan", "inti"};
    for (size_t i = s.b; i < s.e; ++i) {
      if (In(StripPossessive(L(i)), kHolidays)) return true;
    }
    // "Día de Muertos", "Boxing Day"
    return L(s.b) == "día" || L(s.b) == "dia" || (s.e - s.b >= 2 && StripPossessive(L(s.e - 1)) == "day");
  }

  // "I quit Workday", "I left Getir last spring", "Naspers laid me off": a
  // name one leaves or that lets one go is an employer. Leaving a place
  // WordNet or the gazetteer knows ("I left Lisbon") is moving.
  bool EmployerCue(Span n) const {
    // "I left Getir", and in chat "yep, left Grab in march" (no "I").
    static constexpr std::string_view kChatOpeners[] = {"yep", "yes", "yeah", "so", "and", "btw", "lol", "also",
                                                        "haha", "ok", "well"};
    if (n.b >= 1 && (L(n.b - 1) == "quit" || L(n.b - 1) == "left") &&
        (n.b == 1 || w_[n.b - 2].punct || In(L(n.b - 2), kLeavingSubjects) || In(L(n.b - 2), kChatOpeners))) {
      return !IsGazetteerPlace(n) && !IsWordNetPlaceName(NameText(n));
    }
    const std::string& next = L(n.e);
    // "joined Paystack as a compliance analyst"
    if (n.b >= 1 && (L(n.b - 1) == "joined" || L(n.b - 1) == "joining") && next == "as") return true;
    if ((next == "laid" || next == "fired" || next == "let") && L(n.e + 1) == "me") return true;
    // "I've been at Kaspi for two years as a data analyst": a job held.
    if (n.b >= 2 && L(n.b - 1) == "at" && L(n.b - 2) == "been" && next == "for") {
      for (size_t k = n.e + 1; k < n.e + 4 && k < w_.size(); ++k) {
        if (L(k) == "years" || L(k) == "months" || L(k) == "year") return true;
      }
    }
    return next == "hired" && (L(n.e + 1) == "me" || L(n.e + 1) == "us");
  }

  // "Sakai is my favourite city", "Lahinch, a town in Clare": a name said
  // to be a city, town or island.
  bool NamedAsAPlace(Span n) const {
    static constexpr std::string_view kPlaceNouns[] = {"city", "town", "village", "island", "country",
                                                       "neighbourhood", "neighborhood", "region", "capital"};
    size_t k = n.e;
    if (L(k) == ",") ++k;
    else if (L(k) == "is" || L(k) == "was") ++k;
    else return false;
    for (size_t stop = k + 4; k < stop && k < w_.size(); ++k) {
      if (In(L(k), kPlaceNouns)) return true;
      if (!In(L(k), kDeterminers) && L(k) != "my" && L(k) != "favourite" && L(k) != "favorite" &&
          L(k) != "fave" && L(k) != "best" && L(k) != "small" && L(k) != "little" && L(k) != "tiny" &&
          L(k) != "big" && L(k) != "coastal" && L(k) != "seaside") {
        return false;
      }
    }
    return false;
  }

  // "the job at Arcturus", "an interview with Halden", "working for Lumen":
  // a name right after a word of employment and at/for/with is where
  // someone works, even in a clause that states nothing.
  bool WorkplaceCue(size_t b) const {
    static constexpr std::string_view kWorkWords[] = {
        "job", "jobs", "work", "works", "worked", "working", "interview", "internship", "position", "role",
        "shift", "offer", "career", "placement", "apprenticeship", "contract", "started", "start", "starting",
        "starts", "joined", "joining", "meeting", "driving", "manager", "boss", "colleague", "colleagues",
        "coworker", "coworkers", "co-workers", "shifts", "team", "internships",
        "delivering", "drives", "drive"};
    if (b < 2 || (L(b - 1) != "at" && L(b - 1) != "for" && L(b - 1) != "with")) return false;
    // "plays water polo for Vojvodina", "I play for Partizan": a club.
    if (L(b - 1) == "for") {
      for (size_t k = b - 1; k-- > 0 && k + 4 >= b;) {
        if (L(k) == "play" || L(k) == "plays" || L(k) == "played" || L(k) == "playing") return true;
      }
    }
    // A job word before it names an employer: "a pilot with Kenya Airways",
    // "head chef at Malaka Spice", "a tour guide for Intrepid".
    if (In(L(b - 2), kJobs)) return true;
    // "with" names a person as readily ("working with Anna"); only "an interview with ..." is a workplace.
    if (L(b - 1) == "with") return L(b - 2) == "interview";
    return In(L(b - 2), kWorkWords);
  }

  bool IsQuote(size_t i) const {
    return i < w_.size() && w_[i].punct && (L(i) == "\"" || L(i) == "\u201c" || L(i) == "\u201d");
  }
  // "our neighbour's parrot Kiwi", "a golden retriever named Mango": a name
  // right after a pet word, or after named/called close behind one.
  bool NamesAPet(size_t b) const {
    if (b == 0) return false;
    if (In(StripPossessive(L(b - 1)), kPets)) return true;
    if (L(b - 1) != "named" && L(b - 1) != "called") return false;
    for (size_t k = b - 1; k-- > 0 && k + 4 >= b;) {
      if (In(L(k), kPets)) return true;
    }
    // "a greyhound named Bran", "a hawk called Lumi": the noun right before
    // "named" or "called".
    return b >= 2 && !w_[b - 2].capitalised && (IsWordNetBreed(L(b - 2)) || IsWordNetAnimal(L(b - 2)));
  }
  // "I watched Inception", "the movie Parasite", "I read The Night Circus",
  // "\"Piranesi\"": a title of a work. A possessive ("I read Anna's note")
  // is a person's.
  bool NamesATitle(Span n) const {
    if (n.b == 0 || EndsWithPossessive(n.e - 1)) return false;
    size_t p = n.b - 1;
    if (IsQuote(p)) return true;
    if (L(p) == "the" && p > 0) --p;  // "The Night Circus": "The" is not part of the name run
    if (In(L(p), kTitleVerbs)) return true;
    // "obsessed with Wordle", "hooked on Kingdom Come", "addicted to Balatro":
    // what one is hooked on is a game, a show or a book, not a person.
    if (p > 0 && ((L(p) == "with" && L(p - 1) == "obsessed") || (L(p) == "on" && L(p - 1) == "hooked") ||
                  (L(p) == "to" && L(p - 1) == "addicted"))) {
      return true;
    }
    return p > 0 && In(L(p), kTitleNouns) && (In(L(p - 1), kDeterminers) || L(p - 1) == "tv");
  }

  // Named entities sharing a sentence: weak links for graph expansion.
  void Cooccurrence() {
    std::vector<std::string> named;
    if (first_person_) named.push_back(who_.speaker);
    for (const auto& e : out_->entities) {
      if (std::find(touched_.begin(), touched_.end(), e.name) == touched_.end() || e.name == who_.speaker) continue;
      if (e.type == EntityType::kPerson || e.type == EntityType::kPlace || e.type == EntityType::kOrganisation ||
          e.type == EntityType::kEvent) {
        named.push_back(e.name);
      }
    }
    size_t added = 0;
    for (size_t a = 0; a < named.size() && added < 6; ++a) {
      for (size_t b = a + 1; b < named.size() && added < 6; ++b) {
        bool linked = std::any_of(out_->relations.begin(), out_->relations.end(), [&](const Relation& r) {
          return (r.subject == named[a] && r.object == named[b]) || (r.subject == named[b] && r.object == named[a]);
        });
        if (!linked) {
          Rel(named[a], "mentioned_with", named[b]);
          ++added;
        }
      }
    }
  }

  std::vector<std::string> touched_;  // entities named in this sentence
  bool first_person_ = false;         // the sentence speaks of the speaker
  bool speaker_clause_ = false;       // a clause with "I"/"we" as subject was seen
  const std::vector<Word>& w_;
  const Speakers& who_;
  const std::vector<std::string>& known_;
  SentenceFindings* out_;
};

// The base form of a third-person verb the clauses know ("lives" -> "live").
std::string BaseVerb(std::string_view verb) {
  static constexpr std::string_view kThird[][2] = {
      {"loves", "love"},   {"likes", "like"},     {"enjoys", "enjoy"},   {"hates", "hate"},
      {"works", "work"},   {"lives", "live"},     {"has", "have"},       {"owns", "own"},
      {"plays", "play"},   {"goes", "go"},        {"eats", "eat"},       {"adores", "adore"},
      {"dislikes", "dislike"}, {"prefers", "prefer"}, {"volunteers", "volunteer"}, {"practices", "practice"},
      {"teaches", "teach"}, {"drives", "drive"}, {"delivers", "deliver"}, {"does", "do"}};
  for (const auto& p : kThird) {
    if (verb == p[0]) return std::string(p[1]);
  }
  return std::string(verb);
}

}  // namespace

std::string Gerund(std::string_view verb) {
  std::string v(verb);
  if (v.empty() || v.ends_with("ing")) return v;
  auto vowel = [](char c) { return std::string_view("aeiou").find(c) != std::string_view::npos; };
  if (v.ends_with("ie")) return v.substr(0, v.size() - 2) + "ying";
  if (v.size() > 2 && v.back() == 'e' && !v.ends_with("ee") && !v.ends_with("ye") && !v.ends_with("oe")) {
    return v.substr(0, v.size() - 1) + "ing";
  }
  int vowels = 0;
  for (char c : v) vowels += vowel(c) ? 1 : 0;
  size_t n = v.size();
  if (vowels == 1 && n >= 3 && !vowel(v[n - 1]) && vowel(v[n - 2]) && !vowel(v[n - 3]) && v[n - 1] != 'w' &&
      v[n - 1] != 'x' && v[n - 1] != 'y') {
    return v + v.back() + "ing";
  }
  return v + "ing";
}

void ExtractSentencePatterns(const std::vector<Word>& words, const Speakers& who,
                             const std::vector<std::string>& known_names, SentenceFindings* out) {
  SentencePatterns(words, who, known_names, out).Run();
}

}  // namespace engram
