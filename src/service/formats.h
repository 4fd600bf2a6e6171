// The format registry as the service shows it: the CLI's own registry (`ml-export --list_formats
// --json`, so the server needs no LibTorch) with the options each format accepts, and the check
// that turns a request's options into the CLI's flags.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mlexport::service {

class FormatRegistry {
 public:
  // Runs `cli --list_formats --json`; throws std::runtime_error when it fails.
  static FormatRegistry from_cli(const std::string& cli);
  explicit FormatRegistry(nlohmann::json formats);

  // [{name, display_name, available, unavailable_reason, extensions, validated_by, description,
  //   options: [{name, type, default, minimum, maximum, enum, description}]}]
  const nlohmann::json& formats() const { return formats_; }
  // The entry of `name`, or nullptr.
  const nlohmann::json* find(const std::string& name) const;

  // Checks `options` for `format` (RequestError 400 naming "format" or "options.<name>") and
  // returns every option of the format with defaults filled in. `default_shape` is the
  // experiment's input shape.
  nlohmann::json normalize_options(const std::string& format, const nlohmann::json& options,
                                   const std::vector<int64_t>& default_shape) const;
  // The CLI flags for normalized options.
  static std::vector<std::string> cli_flags(const std::string& format,
                                            const nlohmann::json& options);

 private:
  nlohmann::json formats_;
};

}  // namespace mlexport::service
