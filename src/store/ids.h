// Identifiers that come from requests, and the clock used in records.
#pragma once

#include <string>

namespace mlexport::store {

// Project and experiment ids: a letter or digit, then up to 63 letters, digits, '_' or '-'.
// No dots or slashes, so an id can never name a parent folder or leave the workspace.
bool is_valid_id(const std::string& id);
// Export ids as the server makes them: "export-" and 12 lowercase hex digits.
bool is_valid_export_id(const std::string& id);
std::string new_export_id();
// UTC, ISO 8601 with milliseconds: "2026-02-19T15:00:00.123Z" (sorts as text).
std::string now_utc_iso();

}  // namespace mlexport::store
