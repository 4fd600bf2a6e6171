#include "core/file_sha256.h"

#include <openssl/evp.h>

#include <cstdio>
#include <fstream>
#include <vector>

namespace mlexport::core {

std::string file_sha256(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return "";
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  std::vector<char> buffer(1 << 20);
  while (file) {
    file.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    if (file.gcount() > 0) EVP_DigestUpdate(ctx, buffer.data(), static_cast<size_t>(file.gcount()));
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx, digest, &length);
  EVP_MD_CTX_free(ctx);
  std::string hex;
  char byte[3];
  for (unsigned int k = 0; k < length; ++k) {
    std::snprintf(byte, sizeof byte, "%02x", digest[k]);
    hex += byte;
  }
  return hex;
}

}  // namespace mlexport::core
