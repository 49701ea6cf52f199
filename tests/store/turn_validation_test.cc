// Tenant rules as a user of the Store sees them: a tenant must be printable,
// so one with a control character is refused before anything is written.
#include "store/turn_validation.h"

#include <memory>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engram/store.h"
#include "testing/temp_dir.h"

namespace engram {
namespace {

using ::testing::HasSubstr;

Turn SomeTurn() {
  Turn turn;
  turn.speaker = "Maya";
  turn.text = "I moved to Lisbon last spring.";
  turn.source_id = "1";
  return turn;
}

TEST(TurnValidationTest, TenantWithAControlCharacterIsInvalid) {
  const Options options;
  for (unsigned char c : {0x00, 0x01, 0x09, 0x0A, 0x0D, 0x1B, 0x1F, 0x7F}) {
    const std::string tenant = std::string("ma") + static_cast<char>(c) + "ya";
    SCOPED_TRACE(static_cast<int>(c));
    Status s = ValidateTenant(tenant, options);
    EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
    EXPECT_THAT(s.message(), HasSubstr("control character"));
    EXPECT_THAT(s.message(), HasSubstr("at byte 2"));
  }
}

TEST(TurnValidationTest, PrintableTenantsAreValid) {
  const Options options;
  for (const std::string tenant : {"maya", "conv-26", "user@example.com", "Ünïcödé 中文", "a b", "~!"}) {
    EXPECT_TRUE(ValidateTenant(tenant, options).ok()) << tenant;
  }
}

TEST(TurnValidationTest, StoreRefusesATenantWithNulAndWritesNothing) {
  testing::TempDir dir;
  Options options;
  options.log_only = true;
  auto store = Store::Open(options, dir.Sub("store"));
  ASSERT_TRUE(store.ok()) << store.status().ToString();

  const std::string with_nul("ma\0ya", 5);
  auto seq = (*store)->Observe(with_nul, SomeTurn());
  ASSERT_FALSE(seq.ok());
  EXPECT_TRUE(seq.status().IsInvalidArgument()) << seq.status().ToString();
  const Turn turns[] = {SomeTurn()};
  EXPECT_TRUE((*store)->ObserveBatch("tab\there", turns).status().IsInvalidArgument());
  EXPECT_TRUE((*store)->ForgetTenant("esc\x1b[2J").status().IsInvalidArgument());

  auto tenants = (*store)->ListTenants();
  ASSERT_TRUE(tenants.ok()) << tenants.status().ToString();
  EXPECT_TRUE(tenants->empty()) << "nothing was written";
}

}  // namespace
}  // namespace engram
