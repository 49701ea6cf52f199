// Shared pieces of the `engram` command-line tool.
#pragma once

#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "engram/engram.h"

namespace engram::cli {

// Exit codes.
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

// JSON renderings shared by commands.
std::string HitsToJson(const RecallResult& result, int indent);

}  // namespace engram::cli
