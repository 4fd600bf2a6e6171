// The zip layout of a torch.save file around an already pickled object (torch 1.13, zip format):
// <archive>/data.pkl, <archive>/byteorder ("little"), <archive>/data/<key> for every storage in
// sorted key order (as torch.save writes them), <archive>/version ("3\n").
#pragma once

#include <cstdint>
#include <string>

#include "emit/torch/pickle_writer.h"
#include "emit/torch/zip_writer.h"

namespace mlexport::emit::torch {

// torch.save names the archive folder after the file name without its last extension; a name
// that is not plain ([A-Za-z0-9_.-], not starting with '.') falls back to "archive".
std::string archive_name(const std::string& path);

// Writes the archive atomically (zip_writer.h). Returns the file size.
uint64_t write_torch_archive(const PickledObject& pickled, const std::string& path,
                             const ZipWriterOptions& options = {});

}  // namespace mlexport::emit::torch
