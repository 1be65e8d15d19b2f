#pragma once
// The command line's error contract (docs/promises.md, "Errors and exit codes"):
//   exit 0  success
//   exit 1  a failure while doing the work: a file that cannot be read or written, bad data
//           in an input file, a disk that is full (posemb::Error)
//   exit 2  the command line itself is wrong: an unknown option or subcommand, a value that is
//           out of range or does not fit the others (UsageError, and CLI11's own parse errors)
//   exit 130 / 143  stopped by SIGINT / SIGTERM after saving what can be resumed (Interrupted)
// Every error prints one line `posemb: error: ...` on standard error.
#include <string>

#include "posemb/core/error.hpp"

namespace posemb::cli {

// A value given on the command line that posemb cannot use; the message names the option.
class UsageError : public Error {
 public:
  explicit UsageError(const std::string& message) : Error(message) {}
};

// Runs `validate`, turning the library's errors about a value into usage errors: a config
// struct filled from options is validated by the library, which names the field; the caller
// knows that the field came from the command line.
template <class Validate>
void as_usage_error(Validate&& validate) {
  try {
    validate();
  } catch (const UsageError&) {
    throw;
  } catch (const Error& e) {
    throw UsageError(e.what());
  }
}

}  // namespace posemb::cli
