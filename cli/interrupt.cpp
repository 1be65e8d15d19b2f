#include "interrupt.hpp"

#include <unistd.h>

#include <atomic>
#include <csignal>

namespace posemb::cli {
namespace {

std::atomic<int> received{0};
struct sigaction previous_int {}, previous_term {};

extern "C" void on_signal(int signal) {
  int none = 0;
  if (received.compare_exchange_strong(none, signal)) {
    static const char kNote[] = "\nposemb: stopping after the current step, saving what can be resumed (signal again to stop at once)\n";
    [[maybe_unused]] const ssize_t ignored = ::write(STDERR_FILENO, kNote, sizeof kNote - 1);
    return;
  }
  ::_exit(128 + signal);  // the second signal: at once, as the user asked
}

}  // namespace

InterruptScope::InterruptScope() {
  received = 0;
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // a step's reads and writes are not cut short by the first signal
  sigaction(SIGINT, &action, &previous_int);
  sigaction(SIGTERM, &action, &previous_term);
}

InterruptScope::~InterruptScope() {
  sigaction(SIGINT, &previous_int, nullptr);
  sigaction(SIGTERM, &previous_term, nullptr);
}

int interrupt_signal() { return received.load(std::memory_order_relaxed); }

std::string signal_name(int signal) {
  if (signal == SIGINT) return "SIGINT";
  if (signal == SIGTERM) return "SIGTERM";
  return "signal " + std::to_string(signal);
}

}  // namespace posemb::cli
