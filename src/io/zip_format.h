// Fixed values of the ZIP file format (PKWARE APPNOTE) that both the checkpoint reader and the
// torch-format writer use: record signatures, fixed record sizes, extra-field ids.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mlexport::io::zip {

constexpr uint32_t kLocalSig = 0x04034b50;         // local file header
constexpr uint32_t kCentralSig = 0x02014b50;       // central directory entry
constexpr uint32_t kEndSig = 0x06054b50;           // end of central directory
constexpr uint32_t kEnd64Sig = 0x06064b50;         // ZIP64 end of central directory
constexpr uint32_t kEnd64LocatorSig = 0x07064b50;  // ZIP64 end locator

// Sizes of the records before their variable-length fields.
constexpr size_t kLocalSize = 30;
constexpr size_t kCentralSize = 46;
constexpr size_t kEndSize = 22;

constexpr uint16_t kZip64ExtraId = 0x0001;
// A 32-bit (16-bit) field holding all ones: the value is in the ZIP64 extra field instead.
constexpr uint32_t kSentinel32 = 0xFFFFFFFFu;
constexpr uint16_t kSentinel16 = 0xFFFF;

}  // namespace mlexport::io::zip
