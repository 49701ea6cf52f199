#include "extract/llm_extractor.h"

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>

#include "common/http_json_client.h"
#include "common/time_format.h"
#include "common/utf8.h"

namespace engram {
namespace {

using nlohmann::json;

// Relation names the graph tier knows well; the prompt offers them first, but
// any snake_case name passes validation.
constexpr const char* kSuggestedRelations =
    "sister_of, brother_of, parent_of, child_of, friend_of, partner_of, lives_in, works_as, works_at, "
    "attended, likes, owns, member_of, mentioned_with";

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

bool IsSnakeCase(std::string_view s) {
  // [a-z][a-z0-9]*(_[a-z0-9]+)*
  if (s.empty() || !(s[0] >= 'a' && s[0] <= 'z')) return false;
  bool after_underscore = false;
  for (char c : s) {
    if (c == '_') {
      if (after_underscore) return false;
      after_underscore = true;
    } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      after_underscore = false;
    } else {
      return false;
    }
  }
  return !after_underscore;
}

// Whom "you" means in this turn: the other one of two participants, else the
// previous speaker when it is someone else.
std::string Addressee(const ExtractionInput& input) {
  std::vector<std::string> others;
  for (const std::string& p : input.participants) {
    if (p != input.turn.speaker && std::find(others.begin(), others.end(), p) == others.end()) others.push_back(p);
  }
  if (others.size() == 1) return others[0];
  if (!input.previous_speaker.empty() && input.previous_speaker != input.turn.speaker) return input.previous_speaker;
  return "";
}

// Models wrap JSON in Markdown fences or prefix their reasoning; both are
// harmless and common enough to undo instead of rejecting the reply.
std::string_view StripWrapping(std::string_view s) {
  auto trim = [](std::string_view v) {
    const char* ws = " \t\r\n";
    const size_t b = v.find_first_not_of(ws);
    if (b == std::string_view::npos) return std::string_view();
    return v.substr(b, v.find_last_not_of(ws) - b + 1);
  };
  s = trim(s);
  if (s.rfind("<think>", 0) == 0) {
    const size_t end = s.find("</think>");
    if (end != std::string_view::npos) s = trim(s.substr(end + 8));
  }
  if (s.rfind("```", 0) == 0) {
    const size_t newline = s.find('\n');
    const size_t close = s.rfind("```");
    if (newline != std::string_view::npos && close > newline) s = trim(s.substr(newline + 1, close - newline - 1));
  }
  return s;
}

// Reads one reply field at a time, producing "reply field <path>: ..." errors.
class FieldReader {
 public:
  static Status Error(const std::string& path, std::string_view what) {
    return Status::InvalidArgument("reply field " + path + ": " + std::string(what));
  }

  static Status RequiredString(const json& obj, const std::string& path, const char* key, std::string* out) {
    const std::string where = path + "." + key;
    if (!obj.contains(key)) return Error(where, "missing");
    const json& v = obj[key];
    if (!v.is_string()) return Error(where, std::string("expected string, got ") + v.type_name());
    *out = v.get<std::string>();
    // (No UTF-8 check needed: the JSON parser rejects ill-formed UTF-8.)
    if (out->find_first_not_of(" \t\r\n") == std::string::npos) return Error(where, "empty");
    return Status::OK();
  }

  // An optional "YYYY-MM-DD" (or full ISO time); null or absent -> 0.
  static Status OptionalDate(const json& obj, const std::string& path, const char* key, TimeMs* out) {
    *out = 0;
    if (!obj.contains(key) || obj[key].is_null()) return Status::OK();
    const std::string where = path + "." + key;
    const json& v = obj[key];
    if (!v.is_string()) return Error(where, std::string("expected date string or null, got ") + v.type_name());
    const std::string text = v.get<std::string>();
    if (text.empty()) return Status::OK();
    Result<TimeMs> t = ParseIsoTime(text);
    if (!t.ok()) return Error(where, "\"" + text + "\" is not a YYYY-MM-DD date");
    *out = *t;
    return Status::OK();
  }
};

Status ReadUnits(const json& list, const ExtractionInput& input, Extraction* out) {
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string path = "units[" + std::to_string(i) + "]";
    const json& item = list[i];
    if (!item.is_object()) return FieldReader::Error(path, std::string("expected object, got ") + item.type_name());
    EventUnit unit;
    ENGRAM_RETURN_IF_ERROR(FieldReader::RequiredString(item, path, "text", &unit.text));
    ENGRAM_RETURN_IF_ERROR(FieldReader::RequiredString(item, path, "subject", &unit.subject));
    TimeMs from = 0, to = 0;
    ENGRAM_RETURN_IF_ERROR(FieldReader::OptionalDate(item, path, "date", &from));
    ENGRAM_RETURN_IF_ERROR(FieldReader::OptionalDate(item, path, "end_date", &to));
    if (to != 0 && from == 0) return FieldReader::Error(path + ".end_date", "given without date");
    if (to != 0 && to < from) return FieldReader::Error(path + ".end_date", "before date");
    unit.time_ms = input.turn.time_ms;
    unit.event_from_ms = from;
    unit.event_to_ms = to != 0 ? to : from;  // a single day: to == from
    out->units.push_back(std::move(unit));
  }
  return Status::OK();
}

Status ReadFacts(const json& list, const ExtractionInput& input, Extraction* out) {
  const std::vector<std::string>& allowed = LlmFactAttributes();
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string path = "facts[" + std::to_string(i) + "]";
    const json& item = list[i];
    if (!item.is_object()) return FieldReader::Error(path, std::string("expected object, got ") + item.type_name());
    PersonaFact fact;
    ENGRAM_RETURN_IF_ERROR(FieldReader::RequiredString(item, path, "subject", &fact.subject));
    ENGRAM_RETURN_IF_ERROR(FieldReader::RequiredString(item, path, "attribute", &fact.attribute));
    if (std::find(allowed.begin(), allowed.end(), fact.attribute) == allowed.end()) {
      return FieldReader::Error(path + ".attribute",
                                "\"" + fact.attribute + "\" is not one of " + JoinNames(allowed));
    }
    ENGRAM_RETURN_IF_ERROR(FieldReader::RequiredString(item, path, "value", &fact.value));
    if (item.contains("negated")) {
      const json& v = item["negated"];
      if (!v.is_boolean()) {
        return FieldReader::Error(path + ".negated", std::string("expected boolean, got ") + v.type_name());
      }
      fact.negated = v.get<bool>();
    }
    if (item.contains("confidence")) {
      const json& v = item["confidence"];
      if (!v.is_number()) {
        return FieldReader::Error(path + ".confidence", std::string("expected number, got ") + v.type_name());
      }
      const double c = v.get<double>();
      if (!(c >= 0.0 && c <= 1.0)) return FieldReader::Error(path + ".confidence", v.dump() + " is not in [0, 1]");
      fact.confidence = static_cast<float>(c);
    }
    fact.valid_from_ms = input.turn.time_ms;
    out->facts.push_back(std::move(fact));
  }
  return Status::OK();
}

Result<EntityType> ReadEntityType(const std::string& name, const std::string& path) {
  if (name == "person") return EntityType::kPerson;
  if (name == "place") return EntityType::kPlace;
  if (name == "organisation" || name == "organization") return EntityType::kOrganisation;
  if (name == "thing") return EntityType::kThing;
  if (name == "event") return EntityType::kEvent;
  if (name == "other") return EntityType::kOther;
  return FieldReader::Error(path, "\"" + name + "\" is not one of person, place, organisation, thing, event, other");
}

Status ReadEntities(const json& list, Extraction* out) {
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string path = "entities[" + std::to_string(i) + "]";
    const json& item = list[i];
    if (!item.is_object()) return FieldReader::Error(path, std::string("expected object, got ") + item.type_name());
    Entity entity;
    ENGRAM_RETURN_IF_ERROR(FieldReader::RequiredString(item, path, "name", &entity.name));
    std::string type;
    ENGRAM_RETURN_IF_ERROR(FieldReader::RequiredString(item, path, "type", &type));
    Result<EntityType> parsed = ReadEntityType(type, path + ".type");
    if (!parsed.ok()) return parsed.status();
    entity.type = *parsed;
    if (item.contains("aliases") && !item["aliases"].is_null()) {
      const json& aliases = item["aliases"];
      if (!aliases.is_array()) {
        return FieldReader::Error(path + ".aliases", std::string("expected array, got ") + aliases.type_name());
      }
      for (size_t k = 0; k < aliases.size(); ++k) {
        const std::string where = path + ".aliases[" + std::to_string(k) + "]";
        if (!aliases[k].is_string()) {
          return FieldReader::Error(where, std::string("expected string, got ") + aliases[k].type_name());
        }
        std::string alias = aliases[k].get<std::string>();
        if (!alias.empty() && alias != entity.name) entity.aliases.push_back(std::move(alias));
      }
    }
    out->entities.push_back(std::move(entity));
  }
  return Status::OK();
}

Status ReadRelations(const json& list, const ExtractionInput& input, Extraction* out) {
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string path = "relations[" + std::to_string(i) + "]";
    const json& item = list[i];
    if (!item.is_object()) return FieldReader::Error(path, std::string("expected object, got ") + item.type_name());
    Relation relation;
    ENGRAM_RETURN_IF_ERROR(FieldReader::RequiredString(item, path, "subject", &relation.subject));
    ENGRAM_RETURN_IF_ERROR(FieldReader::RequiredString(item, path, "relation", &relation.relation));
    if (!IsSnakeCase(relation.relation)) {
      return FieldReader::Error(path + ".relation", "\"" + relation.relation + "\" is not a snake_case name");
    }
    ENGRAM_RETURN_IF_ERROR(FieldReader::RequiredString(item, path, "object", &relation.object));
    relation.time_ms = input.turn.time_ms;
    out->relations.push_back(std::move(relation));
  }
  return Status::OK();
}

Status ValidateInput(const ExtractionInput& input) {
  if (input.turn.speaker.empty()) return Status::InvalidArgument("LlmExtractor: turn has no speaker");
  if (input.turn.text.empty()) return Status::InvalidArgument("LlmExtractor: turn has no text");
  ENGRAM_RETURN_IF_ERROR(ValidateUtf8(input.turn.speaker, "speaker"));
  ENGRAM_RETURN_IF_ERROR(ValidateUtf8(input.turn.text, "text"));
  for (const std::string& p : input.participants) ENGRAM_RETURN_IF_ERROR(ValidateUtf8(p, "participant"));
  return ValidateUtf8(input.previous_speaker, "previous_speaker");
}

class LlmExtractor final : public Extractor {
 public:
  LlmExtractor(std::unique_ptr<HttpJsonClient> client, std::string model, std::string base_url)
      : client_(std::move(client)), model_(std::move(model)), base_url_(std::move(base_url)) {}

  std::string identity() const override {
    return "llm/" + model_ + "@" + base_url_ + "/" + kLlmExtractorPromptVersion;
  }

  Result<Extraction> Extract(const ExtractionInput& input) override {
    ENGRAM_RETURN_IF_ERROR(ValidateInput(input));
    Result<json> reply = client_->Post(BuildLlmExtractionRequest(input, model_));
    if (!reply.ok()) return reply.status().WithContext("LlmExtractor");
    Result<Extraction> extraction = ParseChatCompletionReply(*reply, input);
    if (!extraction.ok()) return extraction.status().WithContext("LlmExtractor " + client_->url());
    return extraction;
  }

 private:
  const std::unique_ptr<HttpJsonClient> client_;
  const std::string model_;
  const std::string base_url_;
};

}  // namespace

const std::vector<std::string>& LlmFactAttributes() {
  // The single-valued ones (occupation, home, works_at, diet,
  // relationship_status, age, school) are those PersonaTier closes on change.
  static const std::vector<std::string> kAttributes = {
      "likes",   "dislikes", "occupation", "works_at", "home",        "hometown", "school",
      "diet",    "relationship_status",    "age",      "pet",         "owns",     "hobby",
      "family",  "identity", "nationality", "language", "belief",     "health",   "goal",
      "skill",   "trait",    "plan"};
  return kAttributes;
}

const std::string& LlmExtractionSystemPrompt() {
  static const std::string kPrompt = [] {
    std::string p;
    p += "You turn one conversation turn into long-term memory records. ";
    p += "Reply with ONE JSON object and nothing else, with exactly these four keys:\n";
    p += "{\n";
    p += "  \"units\": [{\"text\": string, \"subject\": string, \"date\": \"YYYY-MM-DD\" or null, "
         "\"end_date\": \"YYYY-MM-DD\" or null}],\n";
    p += "  \"facts\": [{\"subject\": string, \"attribute\": string, \"value\": string, "
         "\"negated\": boolean, \"confidence\": number}],\n";
    p += "  \"entities\": [{\"name\": string, \"type\": string, \"aliases\": [string]}],\n";
    p += "  \"relations\": [{\"subject\": string, \"relation\": string, \"object\": string}]\n";
    p += "}\n";
    p += "Use [] for a list with nothing in it. Record only what the turn states; never invent.\n\n";
    p += "units: short self-contained statements of what happened or is true, one per event. "
         "Replace every pronoun with a name: I/me/my/mine is the speaker, you/your is the addressee. "
         "Rewrite relative times (yesterday, last week, next month, on Saturday) as absolute dates "
         "computed from turn_time, e.g. \"Caroline went to an LGBTQ support group on 2023-05-07.\" "
         "Put that date in \"date\" (and the last day of a range in \"end_date\"), otherwise null. "
         "If turn_time is empty, keep relative times as they are and use null. "
         "\"subject\" is the person the unit is about. Skip greetings and small talk.\n\n";
    p += "facts: stable traits and preferences of a person. \"attribute\" must be one of: ";
    p += JoinNames(LlmFactAttributes());
    p += ". \"value\" is a short phrase (\"painting\", \"nurse\", \"Denver\"), lower-case except names. "
         "\"negated\" is true when the turn says the fact no longer holds (\"I quit my job\", "
         "\"I stopped bouldering\"). \"confidence\" is between 0 and 1.\n\n";
    p += "entities: people, places, organisations, things and events that are named. \"type\" must be one of: "
         "person, place, organisation, thing, event, other. \"aliases\" lists other names used for it.\n\n";
    p += "relations: \"subject\" and \"object\" are entity names; \"relation\" is a snake_case verb phrase, "
         "preferably one of: ";
    p += kSuggestedRelations;
    p += ".\n";
    return p;
  }();
  return kPrompt;
}

json BuildLlmExtractionRequest(const ExtractionInput& input, const std::string& model) {
  // The turn goes in as JSON so quotes and newlines in the text cannot be
  // mistaken for instructions or break the framing.
  json turn = {
      {"turn_time", input.turn.time_ms != 0 ? FormatIsoTime(input.turn.time_ms) : std::string()},
      {"session", input.turn.session},
      {"participants", input.participants},
      {"speaker", input.turn.speaker},
      {"addressee", Addressee(input)},
      {"text", input.turn.text},
  };
  return json{
      {"model", model},
      {"temperature", 0},
      {"response_format", {{"type", "json_object"}}},
      {"messages",
       json::array({{{"role", "system"}, {"content", LlmExtractionSystemPrompt()}},
                    {{"role", "user"}, {"content", "Extract memory records from this turn:\n" + turn.dump(2)}}})},
  };
}

Result<Extraction> ParseLlmExtraction(std::string_view content, const ExtractionInput& input) {
  const std::string_view body = StripWrapping(content);
  json root;
  try {
    root = json::parse(body);
  } catch (const json::exception& e) {
    return Status::InvalidArgument("reply content is not valid JSON (" + MessageSnippet(e.what()) +
                                   "): " + MessageSnippet(body, 200));
  }
  if (!root.is_object()) {
    return Status::InvalidArgument(std::string("reply content: expected a JSON object, got ") + root.type_name());
  }
  for (const char* key : {"units", "facts", "entities", "relations"}) {
    if (!root.contains(key)) return FieldReader::Error(key, "missing");
    if (!root[key].is_array()) {
      return FieldReader::Error(key, std::string("expected array, got ") + root[key].type_name());
    }
  }
  Extraction out;
  ENGRAM_RETURN_IF_ERROR(ReadUnits(root["units"], input, &out));
  ENGRAM_RETURN_IF_ERROR(ReadFacts(root["facts"], input, &out));
  ENGRAM_RETURN_IF_ERROR(ReadEntities(root["entities"], &out));
  ENGRAM_RETURN_IF_ERROR(ReadRelations(root["relations"], input, &out));

  if (!input.turn.source_id.empty()) {
    const std::vector<std::string> source = {input.turn.source_id};
    for (auto& u : out.units) u.source_ids = source;
    for (auto& f : out.facts) f.source_ids = source;
    for (auto& e : out.entities) e.source_ids = source;
    for (auto& r : out.relations) r.source_ids = source;
  }
  return out;
}

Result<Extraction> ParseChatCompletionReply(const json& reply, const ExtractionInput& input) {
  if (!reply.is_object() || !reply.contains("choices") || !reply["choices"].is_array() ||
      reply["choices"].empty()) {
    return Status::InvalidArgument("reply has no \"choices\"");
  }
  const json& choice = reply["choices"][0];
  if (!choice.is_object() || !choice.contains("message") || !choice["message"].is_object()) {
    return Status::InvalidArgument("reply choices[0] has no \"message\"");
  }
  const json& message = choice["message"];
  if (!message.contains("content") || !message["content"].is_string()) {
    return Status::InvalidArgument("reply choices[0].message has no text \"content\"");
  }
  Result<Extraction> parsed = ParseLlmExtraction(message["content"].get<std::string>(), input);
  if (!parsed.ok() && choice.contains("finish_reason") && choice["finish_reason"] == "length") {
    return parsed.status().WithContext("the model stopped at its token limit");
  }
  return parsed;
}

Result<std::unique_ptr<Extractor>> NewLlmExtractor(const LlmExtractorOptions& options) {
  auto endpoint = ResolveEndpointSettings("LlmExtractor", "LlmExtractorOptions", "ENGRAM_LLM",
                                          {options.url, options.model, options.api_key});
  if (!endpoint.ok()) return endpoint.status();
  const std::string& url = endpoint->url;
  const std::string& model = endpoint->model;
  const std::string& api_key = endpoint->api_key;
  const HttpJsonClientOptions client_options = ClientOptionsFrom(options, api_key);
  Result<std::unique_ptr<HttpJsonClient>> client =
      HttpJsonClient::Create(JoinEndpoint(url, "/chat/completions"), client_options);
  if (!client.ok()) return client.status().WithContext("LlmExtractor");

  std::string base_url = url;
  while (!base_url.empty() && base_url.back() == '/') base_url.pop_back();
  constexpr std::string_view kSuffix = "/chat/completions";
  if (base_url.size() >= kSuffix.size() &&
      base_url.compare(base_url.size() - kSuffix.size(), kSuffix.size(), kSuffix) == 0) {
    base_url.resize(base_url.size() - kSuffix.size());
  }
  return std::unique_ptr<Extractor>(new LlmExtractor(std::move(client).value(), model, std::move(base_url)));
}

}  // namespace engram
