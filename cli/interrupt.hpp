#pragma once
// SIGINT / SIGTERM during long work (train, study). The first signal asks the command to stop
// at its next safe point — after the current optimizer step — where it saves what can be
// resumed and throws Interrupted; main() prints its message and exits 128 + the signal's number
// (130 for SIGINT, 143 for SIGTERM). A second signal exits at once, saving nothing more.
#include <stdexcept>
#include <string>

namespace posemb::cli {

// Installs the handlers for as long as it lives; the previous handlers come back after.
class InterruptScope {
 public:
  InterruptScope();
  ~InterruptScope();
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;
};

// The signal received (SIGINT or SIGTERM), or 0.
int interrupt_signal();

// Thrown at a safe point after a signal, with what was saved and how to continue.
class Interrupted : public std::runtime_error {
 public:
  Interrupted(int signal, const std::string& message) : std::runtime_error(message), signal_(signal) {}
  int exit_code() const { return 128 + signal_; }
  int signal() const { return signal_; }

 private:
  int signal_;
};

// "SIGINT" / "SIGTERM".
std::string signal_name(int signal);

}  // namespace posemb::cli
