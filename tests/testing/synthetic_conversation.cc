#include "testing/synthetic_conversation.h"

#include <algorithm>
#include <iterator>
#include <map>
#include <string_view>

namespace engram::testing {
namespace {

// --- Vocabulary ----------------------------------------------------------

constexpr std::string_view kFirstNames[] = {
    "Alice", "Bruno", "Carla", "Dmitri", "Elena", "Farid", "Greta", "Hugo", "Ines", "Jonas", "Kavya", "Liam",
    "Mara", "Nikolai", "Olga", "Pedro", "Quinn", "Rosa", "Samir", "Tamsin", "Umar", "Vera", "Wendell", "Ximena",
    "Yusuf", "Zara", "Amelia", "Benedikt", "Chiara", "Diego", "Esther", "Felix", "Gwen", "Hassan", "Ingrid",
    "Jasper", "Keiko", "Lorenzo", "Marisol", "Noah", "Oona", "Pavel", "Rafaela", "Stellan", "Tariq", "Ursula",
    "Viktor", "Wanda", "Yara", "Zoltan", "Aisha", "Bjorn", "Celeste", "Dario", "Emeka", "Freya", "Gustavo",
    "Hana", "Ivo", "Juno", "Kwame", "Leila", "Matteo", "Nadia", "Oskar", "Priya", "Ronan", "Sofia", "Theo",
    "Uma", "Valentin", "Wilma", "Xavier", "Yvette", "Zeno", "Anouk", "Cormac", "Delphine", "Elif", "Florian",
    "Giulia", "Henrik", "Isadora", "Joaquin", "Katarina", "Lucas", "Mirela", "Nils", "Odette", "Paloma",
    "Rasmus", "Selin", "Tobias", "Vivienne", "Anders", "Beatriz", "Cyrus", "Dagny", "Emil", "Fatima"};

constexpr std::string_view kPlaces[] = {
    "Lisbon", "Porto", "Madrid", "Seville", "Barcelona", "Valencia", "Paris", "Lyon", "Marseille", "Bordeaux",
    "Berlin", "Hamburg", "Munich", "Leipzig", "Vienna", "Prague", "Budapest", "Krakow", "Warsaw", "Copenhagen",
    "Stockholm", "Oslo", "Helsinki", "Reykjavik", "Dublin", "Edinburgh", "Glasgow", "Manchester", "Bristol",
    "London", "Amsterdam", "Rotterdam", "Brussels", "Antwerp", "Zurich", "Geneva", "Milan", "Turin", "Bologna",
    "Florence", "Naples", "Rome", "Athens", "Thessaloniki", "Istanbul", "Cairo", "Marrakesh", "Nairobi",
    "Cape Town", "Lagos", "Accra", "Toronto", "Montreal", "Vancouver", "Seattle", "Portland", "Denver",
    "Chicago", "Boston", "Austin", "Atlanta", "Miami", "New Orleans", "Mexico City", "Oaxaca", "Bogota", "Lima",
    "Santiago", "Buenos Aires", "Montevideo", "Sao Paulo", "Tokyo", "Kyoto", "Osaka", "Seoul", "Taipei",
    "Hanoi", "Bangkok", "Singapore", "Melbourne", "Sydney", "Auckland", "Wellington", "Tbilisi"};

constexpr std::string_view kEmployers[] = {
    "Acme", "Globex", "Initech", "Umbrella Labs", "Stark Industries", "Wayne Enterprises", "Hooli", "Pied Piper",
    "Vandelay Industries", "Soylent", "Tyrell Systems", "Cyberdyne", "Aperture Science", "Black Mesa",
    "Massive Dynamic", "Oscorp", "Gringotts Bank", "Monarch Solutions", "Nakatomi Trading", "Weyland Yutani",
    "Blue Sun", "Dunder Mifflin", "Sterling Cooper", "Bluth Company", "Prestige Worldwide", "Gekko and Co",
    "Duff Brewery", "Krusty Foods", "Planet Express", "Los Pollos Hermanos", "Wonka Industries", "Oceanic Air",
    "Virtucon", "Omni Consumer Products", "Rekall", "Buy n Large", "InGen", "Abstergo", "Sirius Cybernetics",
    "Yoyodyne", "Zorg Industries", "Octan", "Mooby Corp", "Spacely Sprockets", "Cogswell Cogs", "Paper Street Soap",
    "Central Perk", "Brawndo", "Ghostbusters Inc", "Dharma Initiative"};

constexpr std::string_view kJobs[] = {
    "nurse", "teacher", "software engineer", "accountant", "architect", "chef", "pharmacist", "data analyst",
    "graphic designer", "electrician", "paramedic", "librarian", "journalist", "lawyer", "physiotherapist",
    "translator", "project manager", "carpenter", "marine biologist", "pilot", "barista", "dentist",
    "social worker", "photographer", "veterinarian", "mechanic", "product designer", "researcher",
    "sales manager", "UX writer"};

constexpr std::string_view kSpecies[] = {"dog", "cat", "rabbit", "parrot", "hamster", "tortoise",
                                         "guinea pig", "ferret", "goldfish", "gecko", "canary", "puppy",
                                         "kitten", "cockatiel", "hedgehog"};

constexpr std::string_view kPetNames[] = {
    "Biscuit", "Pepper", "Mochi", "Luna", "Oliver", "Nala", "Pickles", "Waffles", "Ziggy", "Clementine",
    "Marble", "Noodle", "Socks", "Tofu", "Bean", "Maple", "Captain", "Pumpkin", "Juniper", "Sprout", "Rocket",
    "Hazel", "Basil", "Fig", "Olive", "Cinnamon", "Pretzel", "Bubbles", "Domino", "Echo", "Gizmo", "Kiwi",
    "Lentil", "Muffin", "Nugget", "Pixel", "Quincy", "Rusty", "Sushi", "Truffle", "Velvet", "Whiskers",
    "Yoshi", "Zephyr", "Acorn", "Bramble", "Comet", "Dumpling", "Ember", "Falafel"};

constexpr std::string_view kFoods[] = {
    "ramen", "paella", "tacos", "sushi", "lasagna", "pho", "falafel", "shakshuka", "risotto", "dumplings",
    "pad thai", "biryani", "moussaka", "pierogi", "gnocchi", "curry", "ceviche", "bibimbap", "goulash",
    "empanadas", "croissants", "banana bread", "lentil soup", "grilled sardines", "pancakes", "carbonara",
    "tiramisu", "apple pie", "chili", "miso soup", "fish and chips", "burritos", "samosas", "baklava",
    "pizza margherita", "gazpacho", "bao buns", "churros", "hummus", "pastel de nata", "kimchi stew",
    "pesto pasta", "tagine", "jollof rice", "poke bowls", "quiche", "frittata", "udon", "tortilla", "cheesecake"};

constexpr std::string_view kHobbies[] = {
    "pottery", "bouldering", "salsa dancing", "chess", "gardening", "knitting", "woodworking", "birdwatching",
    "trail running", "photography", "painting", "yoga", "surfing", "sourdough baking", "cycling", "swimming",
    "rock climbing", "calligraphy", "journaling", "board games", "kayaking", "fencing", "archery", "sailing",
    "skateboarding", "tennis", "volleyball", "origami", "embroidery", "stargazing", "fishing", "hiking",
    "playing guitar", "playing piano", "singing in a choir", "learning Japanese", "learning Portuguese",
    "crossword puzzles", "running", "meditation"};

constexpr std::string_view kDiets[] = {"vegetarian", "vegan", "pescatarian", "gluten-free", "dairy-free", "keto",
                                       "plant-based"};

constexpr std::string_view kPast[] = {"yesterday", "last night", "on Monday", "this morning", "last weekend",
                                     "on Wednesday", "two days ago", "last Friday", "earlier today", "on Sunday"};

constexpr std::string_view kRelatives[] = {"sister", "brother", "mom", "dad", "cousin", "aunt", "uncle",
                                           "grandma", "grandpa", "niece", "nephew", "best friend"};

constexpr std::string_view kWhen[] = {"on Saturday", "this weekend", "next Tuesday", "on Friday night",
                                      "tomorrow", "next month", "in the spring", "after work on Thursday",
                                      "on Sunday morning", "over the holidays"};

// --- Templates -------------------------------------------------------------
// Slots: {other} the listener, {person} a friend, {relative}, {place},
// {employer}, {job}, {food}, {hobby}, {species}, {petname}, {when}, {past}, {n}
// (a small number), and the speaker's current state: {home}, {work},
// {diet}, {mypet}.

constexpr std::string_view kOpeners[] = {
    "Hey {other}! How have you been?",
    "Hi {other}, long time no talk. How was your week?",
    "Good morning {other}! I was just thinking about you.",
    "Hey {other}! Sorry I went quiet, {past} was hectic.",
    "Hi {other}! Do you have a minute to chat?",
};

constexpr std::string_view kClosers[] = {
    "I have to run now, {person} is waiting. Talk to you soon!",
    "Okay, I should get some sleep. Good night {other}!",
    "Great catching up, let's talk again {when}.",
    "Take care, {other}. Say hi to everyone for me.",
    "I'll let you go. Thanks for listening, really. Give {mypet} a hug.",
};

constexpr std::string_view kStatements[] = {
    // Small talk.
    "The weather in {home} has been grey all week, I miss the sun.",
    "I finally slept eight hours {past} and I feel like a new person.",
    "My phone screen cracked {past}, third time this year.",
    "I binge-watched a whole season of a crime show {past}, no regrets.",
    "The neighbours are renovating and the drilling starts at seven.",
    "I found a tiny bookshop near my place that sells old maps.",
    "It has been a long week in {home}, but a good one.",
    // Plans.
    "I'm planning a picnic with {person} {when}.",
    "We want to go to {place} {when}, if the tickets are not too expensive.",
    "I booked a table at a new {food} place {when}.",
    "I'm thinking of taking a {hobby} class {when}.",
    "{person} and I are going to a concert {when}.",
    "I signed up for a 10k race {when}, wish me luck.",
    "My {relative} is visiting {when}, so I'm cleaning the whole flat.",
    // Work.
    "Work at {work} is busy, we have a big launch in {n} weeks.",
    "My manager at {work} asked me to lead the new project.",
    "I had a tough meeting with {person} {past}, but I think it went okay.",
    "We hired {n} new people on my team at {work} this month.",
    "I'm trying to leave {work} before six every day now.",
    "A colleague of mine is moving to {place}, we had a farewell lunch.",
    "I gave a presentation to the whole department {past} and nobody fell asleep.",
    // Family.
    "My {relative} just had a baby girl, everyone is over the moon.",
    "I called my {relative} yesterday, we talked for two hours.",
    "My {relative} is learning to drive and it terrifies me.",
    "We celebrated my {relative}'s birthday with {food} and cake.",
    "My {relative} moved to {place} for university.",
    "Family dinners with my {relative} are chaos but I love them.",
    // Hobbies.
    "I've been really into {hobby} lately, it clears my head.",
    "I went {hobby_ing} with {person} on Sunday and loved it.",
    "My {hobby} teacher says I'm improving, which made my day.",
    "I bought new gear for {hobby}, it was way too expensive.",
    "There's a {hobby} club near my place that meets every Wednesday.",
    "I spent the whole afternoon on {hobby} and lost track of time.",
    // Travel.
    "I just got back from {place}, the food there was amazing.",
    "We spent {n} days in {place} and walked everywhere.",
    "My flight to {place} was delayed by four hours.",
    "I want to visit {place} one day, everyone says it's beautiful.",
    "In {place} we took a boat tour and saw dolphins.",
    "The best trip I ever took was to {place} with my {relative}.",
    // Food.
    "I made {food} from scratch last night and it actually worked.",
    "I can't stop thinking about the {food} we had in {place}.",
    "I'm trying to cook at home more, this week it was {food}.",
    "{person} taught me how to make proper {food}.",
    "I tried a {food} recipe from a video and burned it completely.",
    "There is a market near my place with the best {food}.",
    // Pets.
    "{mypet} knocked a glass off the table this morning.",
    "I took {mypet} to the vet, everything is fine.",
    "{mypet} has learned to open the kitchen door, help.",
    "My neighbour's {species} keeps visiting our garden.",
    "I'm thinking of getting a second {species} so {mypet} has company.",
};

// A question and the kind of answer the other speaker gives to it.
struct QuestionAnswer {
  std::string_view question;
  std::string_view answer;
};

constexpr QuestionAnswer kQuestionsAndAnswers[] = {
    {"How is life in {home} these days?", "Honestly pretty good, {home} is starting to feel like home."},
    {"Are you still working at {work}?", "Yes, still at {work}, the team is great."},
    {"What did you have for dinner?", "Just some {food}, nothing fancy."},
    {"Have you ever been to {place}?", "Once, years ago, I'd love to go back to {place}."},
    {"How is {mypet} doing?", "{mypet} is doing great, sleeping most of the day."},
    {"Do you still do {hobby}?", "Every week, {hobby} keeps me sane."},
    {"What are you up to {when}?", "Nothing planned yet, maybe some {hobby}."},
    {"How is your {relative}?", "My {relative} is fine, busy as always."},
    {"Any good recommendations for {food} in {place}?", "There's a little place near the station in {place}, ask for the {food}."},
    {"Did you finish that book about {place} you were reading?", "Almost, just {n} chapters left."},
    {"Do you want to try {hobby} with me {when}?", "I'd love to, count me in for {hobby}!"},
    {"Is it still {diet} for you?", "Yes, still {diet}, it's easier than I thought."},
    {"How was the trip to {place}?", "Wonderful, {place} was even better than the photos."},
    {"What do you do to relax after work?", "Usually {hobby}, or a long walk."},
};

constexpr std::string_view kReactions[] = {
    "That sounds wonderful, {other}!",
    "Oh no, I'm sorry to hear that. The same happened to my {relative}.",
    "Ha, that's so typical of {person}.",
    "Wow, I had no idea.",
    "Good for you, really. {person} will be jealous.",
    "I totally get that.",
    "That's exciting! Tell me more.",
    "Same here, honestly, {past} was like that too.",
};

constexpr std::string_view kAddons[] = {
    "Anyway, enough about me.", "It was a nice change.", "I'll send you pictures later.",
    "Not sure how I feel about it yet.", "We'll see how it goes.", "Funny how things work out.",
};

// --- Random numbers ----------------------------------------------------------

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n); n > 0. The modulo bias is negligible for small n.
  size_t Below(size_t n) { return static_cast<size_t>(Next() % n); }
  size_t Between(size_t lo, size_t hi) { return lo + Below(hi - lo + 1); }
  bool Chance(double p) { return static_cast<double>(Next() >> 11) * 0x1.0p-53 < p; }
  template <typename T, size_t N>
  std::string_view Pick(const T (&list)[N]) {
    return list[Below(N)];
  }

 private:
  uint64_t state_;
};

// What one speaker's life looks like now; fact turns change it.
struct SpeakerState {
  std::string name;
  std::string home;
  std::string work;
  std::string job;
  std::string diet;
  std::string pet;  // name of the newest pet ("" = none)
};

// "{hobby}ing" stand-in for the one template that needs a verb form.
std::string HobbyActivity(std::string_view hobby) {
  std::string h(hobby);
  if (h.ends_with("ing")) return h;
  return std::string("to ").append(h);
}

class Generator {
 public:
  explicit Generator(const GeneratorOptions& options) : options_(options), rng_(options.seed * 0x2545f4914f6cdd1dull + 17) {}

  SyntheticConversation Run() {
    SyntheticConversation out;
    size_t a = rng_.Below(std::size(kFirstNames)), b = rng_.Below(std::size(kFirstNames) - 1);
    if (b >= a) ++b;
    speakers_[0] = NewSpeaker(kFirstNames[a]);
    speakers_[1] = NewSpeaker(kFirstNames[b]);
    out.speakers = {speakers_[0].name, speakers_[1].name};

    TimeMs session_start = options_.start_ms;
    size_t session = 0;
    const size_t lo = std::max<size_t>(2, std::min(options_.min_session_turns, options_.max_session_turns));
    const size_t hi = std::max(lo, options_.max_session_turns);
    while (out.turns.size() < options_.turns) {
      ++session;
      size_t length = std::min(rng_.Between(lo, hi), options_.turns - out.turns.size());
      GenerateSession(session, session_start, length, &out);
      // The next session starts 1-6 days later, at another hour of the day.
      session_start += static_cast<TimeMs>(rng_.Between(1, 6)) * 86'400'000 +
                       static_cast<TimeMs>(rng_.Between(0, 10 * 60)) * 60'000;
    }
    out.probes = std::move(probes_);
    return out;
  }

 private:
  SpeakerState NewSpeaker(std::string_view name) {
    SpeakerState s;
    s.name = std::string(name);
    s.home = std::string(rng_.Pick(kPlaces));
    s.work = std::string(rng_.Pick(kEmployers));
    s.job = std::string(rng_.Pick(kJobs));
    s.pet = std::string(rng_.Pick(kPetNames));
    return s;
  }

  void GenerateSession(size_t session, TimeMs start, size_t length, SyntheticConversation* out) {
    size_t speaker = rng_.Below(2);
    TimeMs t = start;
    std::string pending_answer;  // the reply owed to a question just asked
    for (size_t i = 0; i < length; ++i) {
      SpeakerState& me = speakers_[speaker];
      const SpeakerState& other = speakers_[1 - speaker];
      Turn turn;
      turn.session = "session_" + std::to_string(session);
      turn.speaker = me.name;
      turn.time_ms = t;
      turn.source_id = std::string("D").append(std::to_string(session)).append(":").append(std::to_string(i + 1));
      if (i == 0) {
        turn.text = Fill(rng_.Pick(kOpeners), me, other);
      } else if (i + 1 == length) {
        turn.text = Fill(rng_.Pick(kClosers), me, other);
      } else if (!pending_answer.empty()) {
        turn.text = Fill(pending_answer, me, other);
        pending_answer.clear();
      } else if (rng_.Chance(0.08)) {
        turn.text = StateFact(me, turn.source_id);
      } else if (rng_.Chance(0.22)) {
        const QuestionAnswer& qa = kQuestionsAndAnswers[rng_.Below(std::size(kQuestionsAndAnswers))];
        turn.text = Fill(qa.question, me, other);
        pending_answer = std::string(qa.answer);
      } else if (rng_.Chance(0.15)) {
        turn.text = Fill(rng_.Pick(kReactions), me, other);
      } else {
        turn.text = Fill(rng_.Pick(kStatements), me, other);
        if (rng_.Chance(0.3)) turn.text.append(" ").append(rng_.Pick(kAddons));
      }
      out->turns.push_back(std::move(turn));
      t += static_cast<TimeMs>(rng_.Between(20, 180)) * 1000;
      speaker = 1 - speaker;
    }
  }

  // A turn that changes what is true about `me`, and the probe it answers.
  std::string StateFact(SpeakerState& me, const std::string& source_id) {
    switch (rng_.Below(4)) {
      case 0: {
        me.home = Different(kPlaces, me.home);
        AddProbe("When did " + me.name + " move to " + me.home + "?", source_id);
        return "Big news: I moved to " + me.home + " last month, still unpacking boxes.";
      }
      case 1: {
        me.work = Different(kEmployers, me.work);
        me.job = std::string(rng_.Pick(kJobs));
        AddProbe("When did " + me.name + " start working at " + me.work + "?", source_id);
        return "I started working at " + me.work + " as a " + me.job + " this week.";
      }
      case 2: {
        me.diet = Different(kDiets, me.diet);
        AddProbe("When did " + me.name + " become " + me.diet + "?", source_id);
        return "I became " + me.diet + " a few weeks ago and I feel great.";
      }
      default: {
        std::string species(rng_.Pick(kSpecies));
        me.pet = Different(kPetNames, me.pet);
        AddProbe("What is the name of the " + species + " " + me.name + " adopted?", source_id);
        return "We adopted a " + species + " named " + me.pet + " on Saturday!";
      }
    }
  }

  template <size_t N>
  std::string Different(const std::string_view (&list)[N], const std::string& current) {
    for (;;) {
      std::string v(rng_.Pick(list));
      if (v != current) return v;
    }
  }

  void AddProbe(const std::string& question, const std::string& source_id) {
    auto [it, fresh] = probe_index_.try_emplace(question, probes_.size());
    if (fresh) probes_.push_back(ProbeQuestion{question, {}});
    probes_[it->second].source_ids.push_back(source_id);
  }

  std::string Fill(std::string_view text, const SpeakerState& me, const SpeakerState& other) {
    std::string out;
    size_t i = 0;
    while (i < text.size()) {
      size_t open = text.find('{', i);
      if (open == std::string_view::npos) {
        out.append(text.substr(i));
        break;
      }
      size_t close = text.find('}', open);
      out.append(text.substr(i, open - i));
      std::string_view slot = text.substr(open + 1, close - open - 1);
      out.append(SlotValue(slot, me, other));
      i = close + 1;
    }
    return out;
  }

  std::string SlotValue(std::string_view slot, const SpeakerState& me, const SpeakerState& other) {
    if (slot == "other") return other.name;
    if (slot == "person") return std::string(rng_.Pick(kFirstNames));
    if (slot == "relative") return std::string(rng_.Pick(kRelatives));
    if (slot == "place") return std::string(rng_.Pick(kPlaces));
    if (slot == "employer") return std::string(rng_.Pick(kEmployers));
    if (slot == "job") return std::string(rng_.Pick(kJobs));
    if (slot == "food") return std::string(rng_.Pick(kFoods));
    if (slot == "hobby") return std::string(rng_.Pick(kHobbies));
    if (slot == "hobby_ing") return HobbyActivity(rng_.Pick(kHobbies));
    if (slot == "species") return std::string(rng_.Pick(kSpecies));
    if (slot == "petname") return std::string(rng_.Pick(kPetNames));
    if (slot == "when") return std::string(rng_.Pick(kWhen));
    if (slot == "past") return std::string(rng_.Pick(kPast));
    if (slot == "n") return std::to_string(rng_.Between(2, 9));
    if (slot == "home") return me.home;
    if (slot == "work") return me.work;
    if (slot == "mypet") return me.pet;
    if (slot == "diet") return me.diet.empty() ? std::string("vegetarian") : me.diet;
    return std::string("{").append(slot).append("}");  // a template typo shows in the text, and in the tests
  }

  const GeneratorOptions options_;
  SplitMix64 rng_;
  SpeakerState speakers_[2];
  std::vector<ProbeQuestion> probes_;
  std::map<std::string, size_t> probe_index_;
};

}  // namespace

SyntheticConversation GenerateConversation(const GeneratorOptions& options) { return Generator(options).Run(); }

size_t SyntheticEntityCount() {
  return std::size(kFirstNames) + std::size(kPlaces) + std::size(kEmployers) + std::size(kJobs) +
         std::size(kSpecies) + std::size(kPetNames) + std::size(kFoods) + std::size(kHobbies) + std::size(kDiets) +
         std::size(kRelatives) + std::size(kWhen) + std::size(kPast);
}

size_t SyntheticTemplateCount() {
  return std::size(kOpeners) + std::size(kClosers) + std::size(kStatements) + 2 * std::size(kQuestionsAndAnswers) +
         std::size(kReactions) + 4 /* fact templates */;
}

}  // namespace engram::testing
