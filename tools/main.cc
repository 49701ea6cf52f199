// engram: the command-line tool over an engram store.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "cli.h"
#include "common/closest_names.h"

#ifndef ENGRAM_VERSION
#error "ENGRAM_VERSION (the project version) is defined by CMakeLists.txt"
#endif

namespace engram::cli {
namespace {

std::vector<std::string> CommandNames(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    names.push_back(sub->get_name());
  }
  return names;
}

CLI::App* FindCommand(CLI::App& app, const std::string& name) {
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    if (sub->get_name() == name) return sub;
  }
  return nullptr;
}

// "engram: unknown command 'recal'; did you mean 'recall'?" on stderr.
int UnknownCommand(const CLI::App& parent, const std::string& word) {
  std::string message = "unknown command '" + word + "'";
  std::vector<std::string> close = ClosestNames(word, CommandNames(parent), 1);
  if (!close.empty()) message += "; did you mean '" + close.front() + "'?";
  std::string path = parent.get_parent() != nullptr ? " " + parent.get_name() : "";
  std::fprintf(stderr, "engram: %s (engram%s --help lists the commands)\n", Printable(message).c_str(),
               path.c_str());
  return kExitUsage;
}

// `engram help [COMMAND [SUBCOMMAND]]`: the help of that command, without
// checking the command's required options.
int PrintHelp(CLI::App& app, const std::vector<std::string>& words) {
  CLI::App* target = &app;
  std::string parents;  // "engram eval" for locomo, so the usage line reads as typed
  for (const auto& word : words) {
    CLI::App* sub = FindCommand(*target, word);
    if (sub == nullptr) return UnknownCommand(*target, word);
    parents += (parents.empty() ? "" : " ") + target->get_name();
    target = sub;
  }
  std::cout << target->help(parents);
  return kExitOk;
}

// Looks at the command word before CLI11 parses: `help` is handled here, and
// a word that names no command gets a suggestion rather than CLI11's generic
// message. Returns -1 when CLI11 should parse the line.
int PreParse(CLI::App& app, int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  size_t i = 0;
  while (i < args.size() && args[i].size() > 1 && args[i][0] == '-') ++i;  // global flags take no value
  if (i == args.size()) return -1;
  if (args[i] == "help") return PrintHelp(app, std::vector<std::string>(args.begin() + i + 1, args.end()));
  CLI::App* command = FindCommand(app, args[i]);
  if (command == nullptr) return UnknownCommand(app, args[i]);
  // A command with subcommands of its own (eval locomo).
  if (!command->get_subcommands([](CLI::App*) { return true; }).empty() && i + 1 < args.size() &&
      args[i + 1][0] != '-' && FindCommand(*command, args[i + 1]) == nullptr) {
    return UnknownCommand(*command, args[i + 1]);
  }
  return -1;
}

// The footer of `engram --help`, and CLI11's messages shown escaped (they
// echo what was typed) after "engram: ", like the tool's own.
void SetUpHelpAndErrors(CLI::App& app) {
  app.footer("engram help COMMAND shows a command's options.");
  app.failure_message([](const CLI::App* failed, const CLI::Error& e) {
    return "engram: " + Printable(CLI::FailureMessage::simple(failed, e), /*keep_lines=*/true);
  });
}

}  // namespace
}  // namespace engram::cli

int main(int argc, char** argv) {
  // Named, so usage lines say "engram recall" rather than the binary's path.
  CLI::App app{"engram: long-horizon memory for LLM agents", "engram"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("engram ") + ENGRAM_VERSION);
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
  engram::cli::AddServeCommand(app, &exit_code);
  engram::cli::AddMcpCommand(app, &exit_code);
  engram::cli::AddLifecycleCommands(app, &exit_code);
  engram::cli::AddExplicitMemoryCommands(app, &exit_code);
  try {
    // Set after the commands are added, so they do not inherit the footer.
    engram::cli::SetUpHelpAndErrors(app);
    if (int early = engram::cli::PreParse(app, argc, argv); early >= 0) return early;
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return engram::cli::kExitUsage;
  }
  return exit_code;
}
