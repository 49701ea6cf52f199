// Shared pieces of the `engram` command-line tool.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

#include "engram/engram.h"

namespace engram::cli {

// Exit codes (README, docs/cli.md): 1 is input the user can fix (a bad line,
// an unknown tenant, a store path that holds no store), 2 a command line the
// tool cannot parse, 3 storage or I/O trouble the user did not cause.
inline constexpr int kExitOk = 0;
inline constexpr int kExitBadInput = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitStorage = 3;

// The exit code for a failed Status: bad input -> 1, storage/I/O -> 3.
int ExitCodeFor(const Status& status);
// Prints "engram: <message>" to stderr and returns ExitCodeFor(status).
int Fail(const Status& status);

// Opens the store at `path`; log_only skips the embedder and indexes;
// read_only writes nothing (works beside another process holding the store,
// on a read-only folder and on a full disk).
Result<std::unique_ptr<Store>> OpenStore(const std::string& path, bool log_only, bool create_if_missing,
                                         bool read_only = false);

// Each command adds its subcommand to `app`; the callback stores the exit
// code in *exit_code.
void AddLogCommands(CLI::App& app, int* exit_code);
void AddMemoryCommands(CLI::App& app, int* exit_code);
void AddEvalCommand(CLI::App& app, int* exit_code);
void AddRepairCommands(CLI::App& app, int* exit_code);
void AddServeCommand(CLI::App& app, int* exit_code);
void AddMcpCommand(CLI::App& app, int* exit_code);
// update, history (lifecycle_commands.cc).
void AddLifecycleCommands(CLI::App& app, int* exit_code);
// `engram forget` of one memory: a turn (source_id), a fact or a relation
// (exactly one of the three is non-empty).
int RunForgetMemory(const std::string& store_path, const std::string& tenant, const std::string& source_id,
                    const std::string& fact, const std::string& relation, bool dry_run, bool as_json);
void AddExplicitMemoryCommands(CLI::App& app, int* exit_code);

// JSON renderings shared by commands.
std::string HitsToJson(const RecallResult& result, int indent);

// --- Checks of input and output (cli_checks.cc) ----------------------------

// `text` safe to print on a terminal: control characters (U+0000-U+001F,
// U+007F, U+0080-U+009F) become visible escapes ("\n", "\t", "\r", "\x1B",
// "\u009B"); everything else is left as it is. keep_lines leaves newlines
// and tabs alone, for multi-line text.
std::string Printable(std::string_view text, bool keep_lines = false);

// JSON text (from nlohmann's dump, which escapes U+0000-U+001F only) with
// U+007F and U+0080-U+009F escaped as well ("\u007f"), so JSON output
// carries no control character raw either; it parses to the same values.
std::string TerminalSafeJson(std::string json_text);

// Numeric option checks: a value outside [min, max] is a usage error (exit
// 2) naming the option, e.g. "--k: 0 is outside 1..1000".
CLI::Validator InRange(int64_t min, int64_t max);

// NotFound "no tenant 'X'; did you mean 'maya'?" when `tenant` has no turns
// in `store` (the suggestion lists the closest known tenants, if any are
// close). InvalidArgument for a tenant the library refuses.
Status RequireTenant(Store& store, const std::string& tenant);
// Prints "engram: warning: no tenant 'X'..." to stderr when RequireTenant
// fails, for commands whose empty result is still an answer.
void WarnIfNoTenant(Store& store, const std::string& tenant);

}  // namespace engram::cli
