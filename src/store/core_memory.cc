// Core memory: named, size-limited blocks of text a tenant's agent keeps
// (who the user is, who the agent is), stored in the edits column family:
// the current block under kind 'c' + name, every version under kind 'C' +
// name + 0x00 + version (u32 BE), so a name's history is one range that no
// other name's shares ("a" and "ab" end differently at the 0x00).
#include <algorithm>
#include <chrono>

#include <nlohmann/json.hpp>

#include "common/utf8.h"
#include "log/key_codec.h"
#include "store/store_impl.h"
#include "store/turn_validation.h"

namespace engram {
namespace {

using nlohmann::json;
using log::Cf;

constexpr size_t kMaxBlockNameBytes = 64;

std::string BlockKey(std::string_view tenant, std::string_view name) {
  return log::TenantPrefix(tenant) + 'c' + std::string(name);
}
std::string BlocksBegin(std::string_view tenant) { return log::TenantPrefix(tenant) + 'c'; }
std::string BlocksEnd(std::string_view tenant) { return log::TenantPrefix(tenant) + 'd'; }
std::string HistoryBegin(std::string_view tenant, std::string_view name) {
  return log::TenantPrefix(tenant) + 'C' + std::string(name) + '\0';
}
std::string HistoryEnd(std::string_view tenant, std::string_view name) {
  return log::TenantPrefix(tenant) + 'C' + std::string(name) + '\1';
}
std::string HistoryKey(std::string_view tenant, std::string_view name, uint32_t version) {
  std::string key = HistoryBegin(tenant, name);
  log::PutFixed32BE(&key, version);
  return key;
}

std::string EncodeBlock(const CoreBlock& b) {
  return json{{"text", b.text}, {"version", b.version}, {"updated", b.updated_ms}}.dump();
}

Status DecodeBlock(std::string_view name, std::string_view value, CoreBlock* b) {
  json j = json::parse(value.begin(), value.end(), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Status::Corruption("core block '" + std::string(name) + "' is not a JSON object");
  try {
    b->name = std::string(name);
    b->text = j.at("text").get<std::string>();
    b->version = j.at("version").get<uint32_t>();
    b->updated_ms = j.value("updated", int64_t{0});
  } catch (const json::exception& e) {
    return Status::Corruption("core block '" + std::string(name) + "': " + e.what());
  }
  return Status::OK();
}

Status ValidateBlockName(std::string_view name) {
  const bool valid_chars = std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == '-';
  });
  if (name.empty() || name.size() > kMaxBlockNameBytes || !valid_chars) {
    return Status::InvalidArgument("core block name '" + std::string(name.substr(0, 80)) + "' is not 1 to " +
                                   std::to_string(kMaxBlockNameBytes) + " characters of A-Z, a-z, 0-9, '_', '.', '-'");
  }
  return Status::OK();
}

TimeMs WallClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Result<std::vector<CoreBlock>> StoreImpl::CoreMemory(std::string_view tenant) {
  ENGRAM_RETURN_IF_ERROR(ValidateTenant(tenant, options_));
  std::vector<CoreBlock> blocks;
  const std::string begin = BlocksBegin(tenant);
  Status bad;
  ENGRAM_RETURN_IF_ERROR(log_->Scan(Cf::kEdits, begin, BlocksEnd(tenant), [&](std::string_view key,
                                                                              std::string_view value) {
    bad = DecodeBlock(key.substr(begin.size()), value, &blocks.emplace_back());
    return bad.ok();
  }));
  ENGRAM_RETURN_IF_ERROR(bad);
  return blocks;
}

Result<std::vector<CoreBlock>> StoreImpl::CoreBlockHistory(std::string_view tenant, std::string_view name) {
  ENGRAM_RETURN_IF_ERROR(ValidateTenant(tenant, options_));
  ENGRAM_RETURN_IF_ERROR(ValidateBlockName(name));
  std::vector<CoreBlock> versions;
  Status bad;
  ENGRAM_RETURN_IF_ERROR(log_->Scan(Cf::kEdits, HistoryBegin(tenant, name), HistoryEnd(tenant, name),
                                    [&](std::string_view, std::string_view value) {
                                      bad = DecodeBlock(name, value, &versions.emplace_back());
                                      return bad.ok();
                                    }));
  ENGRAM_RETURN_IF_ERROR(bad);
  if (versions.empty()) {
    return Status::NotFound("tenant '" + std::string(tenant) + "' has no core block '" + std::string(name) + "'");
  }
  return versions;
}

Result<CoreBlock> StoreImpl::SetCoreBlock(std::string_view tenant, std::string_view name, std::string_view text,
                                          const WriteOptions& wo) {
  ENGRAM_RETURN_IF_ERROR(RequireWritable("SetCoreBlock"));
  ENGRAM_RETURN_IF_ERROR(ValidateTenant(tenant, options_));
  ENGRAM_RETURN_IF_ERROR(ValidateBlockName(name));
  ENGRAM_RETURN_IF_ERROR(ValidateUtf8(text, "core block text"));
  return WriteCoreBlock(tenant, name, text, /*append=*/false, wo);
}

Result<CoreBlock> StoreImpl::AppendCoreBlock(std::string_view tenant, std::string_view name, std::string_view text,
                                             const WriteOptions& wo) {
  ENGRAM_RETURN_IF_ERROR(RequireWritable("AppendCoreBlock"));
  ENGRAM_RETURN_IF_ERROR(ValidateTenant(tenant, options_));
  ENGRAM_RETURN_IF_ERROR(ValidateBlockName(name));
  ENGRAM_RETURN_IF_ERROR(ValidateUtf8(text, "core block text"));
  if (text.empty()) return Status::InvalidArgument("nothing to append to core block '" + std::string(name) + "'");
  return WriteCoreBlock(tenant, name, text, /*append=*/true, wo);
}

Result<CoreBlock> StoreImpl::WriteCoreBlock(std::string_view tenant, std::string_view name, std::string_view text,
                                            bool append, const WriteOptions& wo) {
  // The write mutex orders the versions of a block (and the block count).
  std::lock_guard<std::mutex> lock(write_mutex_);
  auto current = log_->Get(Cf::kEdits, BlockKey(tenant, name));
  if (!current.ok()) return current.status();
  CoreBlock block;
  if (current->has_value()) ENGRAM_RETURN_IF_ERROR(DecodeBlock(name, **current, &block));
  const bool exists = current->has_value();
  std::string new_text = append && exists && !block.text.empty() ? block.text + "\n" + std::string(text)
                                                                 : std::string(text);
  if (new_text.empty() && !exists) {
    return Status::NotFound("tenant '" + std::string(tenant) + "' has no core block '" + std::string(name) +
                            "' to delete");
  }
  if (new_text.size() > options_.core_block_max_bytes) {
    return Status::InvalidArgument("core block '" + std::string(name) + "' would be " +
                                   std::to_string(new_text.size()) + " bytes, over the limit of " +
                                   std::to_string(options_.core_block_max_bytes) +
                                   " (Options::core_block_max_bytes); nothing was changed");
  }
  if (!exists) {
    size_t blocks = 0;
    ENGRAM_RETURN_IF_ERROR(log_->Scan(Cf::kEdits, BlocksBegin(tenant), BlocksEnd(tenant),
                                      [&](std::string_view, std::string_view) {
                                        ++blocks;
                                        return true;
                                      }));
    if (blocks >= options_.core_blocks_max) {
      return Status::InvalidArgument("tenant '" + std::string(tenant) + "' has " + std::to_string(blocks) +
                                     " core blocks, the limit (Options::core_blocks_max); delete one first");
    }
  }
  // A block deleted and written again continues its history's numbering.
  uint32_t last_version = block.version;
  if (!exists) {
    const std::string begin = HistoryBegin(tenant, name);
    ENGRAM_RETURN_IF_ERROR(log_->Scan(Cf::kEdits, begin, HistoryEnd(tenant, name),
                                      [&](std::string_view key, std::string_view) {
                                        if (key.size() == begin.size() + 4) {
                                          last_version = log::DecodeFixed32BE(key.data() + begin.size());
                                        }
                                        return true;
                                      }));
  }
  CoreBlock next{std::string(name), std::move(new_text), last_version + 1, WallClockMs()};
  log::LogBatch batch = log_->NewBatch();
  if (next.text.empty()) {
    batch.Delete(Cf::kEdits, BlockKey(tenant, name));
  } else {
    batch.Put(Cf::kEdits, BlockKey(tenant, name), EncodeBlock(next));
  }
  batch.Put(Cf::kEdits, HistoryKey(tenant, name, next.version), EncodeBlock(next));
  ENGRAM_RETURN_IF_ERROR(log_->Write(batch, wo.sync));
  return next;
}

Result<size_t> StoreImpl::CoreSection(std::string_view tenant, size_t budget_tokens, ContextSection* section,
                                      std::string* text, std::vector<std::string>* notes) {
  auto blocks = CoreMemory(tenant);
  if (!blocks.ok()) return blocks.status();
  if (blocks->empty()) return size_t{0};
  const float share = std::clamp(options_.core_context_share, 0.0f, 1.0f);
  const size_t cap = static_cast<size_t>(static_cast<double>(budget_tokens) * share);
  const std::string header = "## Core memory\n";
  size_t used = 0;
  std::vector<std::string> left_out;
  for (const CoreBlock& b : *blocks) {
    const std::string rendered = "### " + b.name + "\n" + b.text + "\n";
    const size_t cost = ApproxTokens(rendered) + (section->items.empty() ? ApproxTokens(header) : 0);
    // A block goes in whole or not at all: half a block could say the opposite.
    if (used + cost > cap) {
      left_out.push_back(b.name);
      notes->push_back("core: block '" + b.name + "' (" + std::to_string(ApproxTokens(rendered)) +
                       " tokens) left out: over the core share of the budget (" + std::to_string(cap) + " tokens)");
      continue;
    }
    if (section->items.empty()) *text += header;
    *text += rendered;
    used += cost;
    Hit h;
    h.kind = "core";
    h.id = b.name;
    h.tier = Tier::kWorking;
    h.text = b.text;
    h.time_ms = b.updated_ms;
    section->items.push_back(std::move(h));
  }
  if (!left_out.empty()) {
    std::string note = "(core memory: ";
    for (size_t i = 0; i < left_out.size(); ++i) note += (i ? ", " : "") + left_out[i];
    note += left_out.size() == 1 ? " is" : " are";
    note += " left out, too long for this budget)\n";
    if (used + ApproxTokens(note) <= budget_tokens) {
      *text += note;
      used += ApproxTokens(note);
    }
  }
  return used;
}

}  // namespace engram
