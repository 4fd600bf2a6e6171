// The names JSON documents give the exit codes of ExitCode (the CLI's --json errors, the
// service's export records), so that every front end says the same.
#pragma once

#include <string>

namespace mlexport {

// "validation_failed", "bad_input", "unsupported_ops", "internal", "trace_failed" for exit
// codes 1 to 5; "" for any other code (front ends name their own: interruptions, a CLI that cannot
// start).
std::string exit_code_name(int exit_code);

}  // namespace mlexport
