#include "emit/torch/torch_archive.h"

#include <algorithm>
#include <filesystem>
#include <span>

namespace mlexport::emit::torch {

namespace {

std::span<const std::byte> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

}  // namespace

std::string archive_name(const std::string& path) {
  std::string name = std::filesystem::path(path).filename().string();
  if (const size_t dot = name.rfind('.'); dot != std::string::npos) name.resize(dot);
  const bool plain = !name.empty() && name[0] != '.' && name.size() <= 200 &&
                     std::all_of(name.begin(), name.end(), [](char c) {
                       return c == '_' || c == '-' || c == '.' || (c >= 'a' && c <= 'z') ||
                              (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
                     });
  return plain ? name : "archive";
}

uint64_t write_torch_archive(const PickledObject& pickled, const std::string& path,
                             const ZipWriterOptions& options) {
  const std::string prefix = archive_name(path) + "/";
  std::vector<const StorageRecord*> storages;
  for (const auto& s : pickled.storages) storages.push_back(&s);
  std::sort(storages.begin(), storages.end(),
            [](const auto* a, const auto* b) { return a->key < b->key; });  // "0", "1", "10", "2"
  ZipWriter zip(path, options);
  zip.add_record(prefix + "data.pkl", as_bytes(pickled.data));
  zip.add_record(prefix + "byteorder", as_bytes("little"));
  for (const auto* s : storages)
    zip.add_record(prefix + "data/" + s->key, {s->bytes->data(), s->bytes->size()});
  zip.add_record(prefix + "version", as_bytes("3\n"));
  return zip.finish();
}

}  // namespace mlexport::emit::torch
