#pragma once
// Each subcommand of the posemb binary lives in its own file and registers itself here.
#include <CLI/CLI.hpp>

namespace posemb::cli {

void add_embed_command(CLI::App& app);     // embed_command.cpp
void add_tokenize_command(CLI::App& app);  // tokenize_command.cpp (tokenize, decode)
void add_inspect_command(CLI::App& app);   // inspect_command.cpp
void add_positions_command(CLI::App& app);  // positions_command.cpp (sinusoidal, rope, alibi, t5, shaw)
void add_train_command(CLI::App& app);     // train_command.cpp
void add_study_command(CLI::App& app);     // study_command.cpp
void add_plot_command(CLI::App& app);      // plot_command.cpp
void add_report_command(CLI::App& app);    // report_command.cpp

}  // namespace posemb::cli
