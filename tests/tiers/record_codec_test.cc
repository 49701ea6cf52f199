// Derived record codecs: records round-trip, and stored bytes that are not a
// record decode to Corruption, never to undefined behaviour.
#include "tiers/record_codec.h"

#include <string>

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

}  // namespace
}  // namespace engram
