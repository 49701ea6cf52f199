// engram: the command-line tool over an engram store.
#include <cstdio>

#include "cli.h"

int main(int argc, char** argv) {
  CLI::App app{"engram: long-horizon memory for LLM agents"};
  app.require_subcommand(1);
  bool verbose = false;
  app.add_flag("-v,--verbose", verbose, "log what the library does to stderr");
  app.parse_complete_callback([&]() {
    if (verbose) engram::SetLogLevel(engram::LogLevel::kInfo);
  });
  int exit_code = engram::cli::kExitOk;
  engram::cli::AddLogCommands(app, &exit_code);
  engram::cli::AddMemoryCommands(app, &exit_code);
  engram::cli::AddEvalCommand(app, &exit_code);
  engram::cli::AddRepairCommands(app, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return engram::cli::kExitUsage;
  }
  return exit_code;
}
