// Derived record codecs: records round-trip, and stored bytes that are not a
// record decode to Corruption, never to undefined behaviour.
#include "tiers/record_codec.h"

#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace engram {
namespace {

TEST(RecordCodecTest, RecordsRoundTrip) {
  EventUnit unit{"", "Ann adopted a cat", "Ann", -5, 1'700'000'000'000, 1'700'086'400'000, {"D1:1", "D1:2"}};
  EventUnit unit_back;
  ASSERT_TRUE(DecodeUnit(EncodeUnit(unit), &unit_back).ok());
  EXPECT_EQ(unit_back.text, unit.text);
  EXPECT_EQ(unit_back.time_ms, -5);
  EXPECT_EQ(unit_back.event_to_ms, unit.event_to_ms);
  EXPECT_EQ(unit_back.source_ids, unit.source_ids);

  PersonaFact fact{"", "Ann", "pet", "cat", 1, 2, 0.1f, {"D1:1"}, true};
  PersonaFact fact_back;
  ASSERT_TRUE(DecodeFact(EncodeFact(fact), &fact_back).ok());
  EXPECT_EQ(fact_back.confidence, 0.1f);
  EXPECT_TRUE(fact_back.negated);
  EXPECT_EQ(fact_back.valid_to_ms, 2);

  Entity entity{"Ann", EntityType::kPerson, {"Annie"}, {"D1:1"}};
  Entity entity_back;
  ASSERT_TRUE(DecodeEntity(EncodeEntity(entity), &entity_back).ok());
  EXPECT_EQ(entity_back.type, EntityType::kPerson);
  EXPECT_EQ(entity_back.aliases, entity.aliases);

  Relation relation{"", "Ann", "owns", "cat", 42, {"D1:1"}};
  Relation relation_back;
  ASSERT_TRUE(DecodeRelation(EncodeRelation(relation), &relation_back).ok());
  EXPECT_EQ(relation_back.object, "cat");
  EXPECT_EQ(relation_back.time_ms, 42);
}

TEST(RecordCodecTest, NumbersThatDoNotFitAreCorruption) {
  EventUnit unit;
  for (const std::string bytes : {R"({"text":"x","time":1e300})", R"({"text":"x","from":2.5})",
                                  R"({"text":"x","to":18446744073709551615})", R"({"text":"x","time":null})"}) {
    Status s = DecodeUnit(bytes, &unit);
    EXPECT_EQ(s.code(), Status::Code::kCorruption) << bytes << ": " << s.ToString();
  }
  PersonaFact fact;
  Status s = DecodeFact(R"({"subject":"a","attribute":"b","value":"c","confidence":1e300})", &fact);
  EXPECT_EQ(s.code(), Status::Code::kCorruption) << s.ToString();
  EXPECT_NE(s.message().find("confidence"), std::string::npos) << s.ToString();
  Entity entity;
  EXPECT_EQ(DecodeEntity(R"({"name":"a","type":-1e300})", &entity).code(), Status::Code::kCorruption);
  ASSERT_TRUE(DecodeEntity(R"({"name":"a","type":99})", &entity).ok());
  EXPECT_EQ(entity.type, EntityType::kOther) << "an unknown type reads as kOther";
}

TEST(RecordCodecTest, InvalidUtf8IsEncodedAsReplacementCharacters) {
  EventUnit unit;
  unit.text = "caf\xC3";  // a UTF-8 sequence cut short
  std::string bytes;
  ASSERT_NO_THROW(bytes = EncodeUnit(unit));
  EventUnit back;
  ASSERT_TRUE(DecodeUnit(bytes, &back).ok());
  EXPECT_EQ(back.text, "caf\xEF\xBF\xBD");
}

TEST(RecordCodecTest, RecordsAreWrittenInTheCompactBinaryForm) {
  EventUnit unit{"", "Ann adopted a cat", "Ann", 1'700'000'000'000, 0, 0, {"D1:1"}};
  const std::string bytes = EncodeUnit(unit);
  ASSERT_FALSE(bytes.empty());
  EXPECT_EQ(bytes[0], '\x01') << "tagged binary, not JSON";
  // Text, subject, three times, one source id, and a few bytes of framing.
  EXPECT_LT(bytes.size(), unit.text.size() + unit.subject.size() + 4 + 20);

  Relation relation{"", "Ann", "moved_to", "Lisbon", 100, {"D1:1"}, 40};
  Relation back;
  ASSERT_TRUE(DecodeRelation(EncodeRelation(relation), &back).ok());
  EXPECT_EQ(back.valid_from_ms, 40) << "a stated start survives";
  relation.valid_from_ms = relation.time_ms;
  ASSERT_TRUE(DecodeRelation(EncodeRelation(relation), &back).ok());
  EXPECT_EQ(back.valid_from_ms, 0) << "a start equal to the statement time is not stored";
}

TEST(RecordCodecTest, JsonRecordsOfEarlierVersionsStillDecode) {
  EventUnit unit;
  ASSERT_TRUE(DecodeUnit(R"({"text":"Ann adopted a cat","subject":"Ann","time":5,"from":6,"to":7,"src":["D1:1"]})",
                         &unit)
                  .ok());
  EXPECT_EQ(unit.text, "Ann adopted a cat");
  EXPECT_EQ(unit.event_to_ms, 7);
  PersonaFact fact;
  ASSERT_TRUE(DecodeFact(R"({"subject":"Ann","attribute":"pet","value":"cat","from":1,"to":2,"confidence":0.5,)"
                         R"("src":["D1:1"],"negated":true})",
                         &fact)
                  .ok());
  EXPECT_EQ(fact.value, "cat");
  EXPECT_EQ(fact.confidence, 0.5f);
  EXPECT_TRUE(fact.negated);
  Entity entity;
  ASSERT_TRUE(DecodeEntity(R"({"name":"Ann","type":0,"aliases":["Annie"],"src":["D1:1"]})", &entity).ok());
  EXPECT_EQ(entity.aliases, std::vector<std::string>{"Annie"});
  Relation relation;
  ASSERT_TRUE(
      DecodeRelation(R"({"subject":"Ann","relation":"owns","object":"cat","time":9,"from":3,"src":[]})", &relation)
          .ok());
  EXPECT_EQ(relation.object, "cat");
  EXPECT_EQ(relation.valid_from_ms, 3);
}

TEST(RecordCodecTest, DamagedBinaryRecordsAreCorruption) {
  PersonaFact fact{"", "Ann", "pet", "cat", 1, 2, 0.5f, {"D1:1", "D1:2"}, false};
  const std::string good = EncodeFact(fact);
  PersonaFact back;
  ASSERT_TRUE(DecodeFact(good, &back).ok());
  for (size_t cut = 1; cut < good.size(); ++cut) {
    EXPECT_EQ(DecodeFact(good.substr(0, cut), &back).code(), Status::Code::kCorruption) << "cut at " << cut;
  }
  EXPECT_EQ(DecodeFact(good + "x", &back).code(), Status::Code::kCorruption) << "trailing bytes";

  std::string bad_utf8 = good;
  bad_utf8[2] = '\xFF';  // inside the subject "Ann"
  EXPECT_EQ(DecodeFact(bad_utf8, &back).code(), Status::Code::kCorruption);

  PersonaFact nan_fact = fact;
  nan_fact.confidence = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(DecodeFact(EncodeFact(nan_fact), &back).code(), Status::Code::kCorruption) << "confidence not finite";

  std::string bad_flag = good;
  bad_flag.back() = '\x02';
  EXPECT_EQ(DecodeFact(bad_flag, &back).code(), Status::Code::kCorruption) << "a flag is 0 or 1";

  // A list count larger than the bytes that follow is refused before any
  // allocation.
  std::string huge_list = "\x01" "\x01" "a" "\x01" "b" "\x01" "c" "\x02" "\x04";
  huge_list += std::string("\x3f\x00\x00\x00", 4);
  huge_list += "\xff\xff\xff\xff\x0f";
  EXPECT_EQ(DecodeFact(huge_list, &back).code(), Status::Code::kCorruption);

  Entity entity;
  EXPECT_EQ(DecodeEntity(std::string_view("\x01", 1), &entity).code(), Status::Code::kCorruption);
}

TEST(RecordCodecTest, RecordIdsNameTheTurnAndTheRecord) {
  EXPECT_EQ(UnitId(12, 3), "unit:12.3");
  EXPECT_EQ(FactId(12, 1), "fact:12.1");
  EXPECT_EQ(RelationId(7, 2), "rel:7.2");
  uint64_t seq = 0;
  uint32_t n = 0;
  ASSERT_TRUE(ParseRecordId("fact:12.1", "fact:", &seq, &n));
  EXPECT_EQ(seq, 12u);
  EXPECT_EQ(n, 1u);
  for (const char* bad : {"fact:12", "fact:.1", "fact:12.", "fact:1x.1", "rel:12.1", "fact:12.99999999999",
                          "fact:99999999999999999999999.1", ""}) {
    EXPECT_FALSE(ParseRecordId(bad, "fact:", &seq, &n)) << bad;
  }
  Extraction x;
  x.facts.resize(2);
  x.facts[1].id = "fact:3.0";  // an id given is kept
  x.relations.resize(1);
  AssignRecordIds(5, &x, 1);
  EXPECT_EQ(x.facts[0].id, "fact:5.1");
  EXPECT_EQ(x.facts[1].id, "fact:3.0");
  EXPECT_EQ(x.relations[0].id, "rel:5.1");
}

}  // namespace
}  // namespace engram
