#include "store/zip_writer.h"

#include <zip.h>

#include <stdexcept>

#include "io/atomic_file.h"

namespace mlexport::store {

void write_zip_atomic(const std::filesystem::path& path, const std::vector<ZipMember>& members) {
  const std::filesystem::path temp = path.string() + ".partial";
  std::error_code ec;
  std::filesystem::remove(temp, ec);
  int error = 0;
  zip_t* zip = zip_open(temp.c_str(), ZIP_CREATE | ZIP_EXCL, &error);
  if (!zip) throw std::runtime_error("cannot create " + temp.string());
  // zip_source_buffer does not copy: the texts must outlive zip_close.
  std::vector<std::string> texts;
  texts.reserve(members.size());
  for (const auto& m : members) {
    zip_source_t* source = nullptr;
    if (!m.file.empty()) {
      source = zip_source_file(zip, m.file.c_str(), 0, 0);
    } else {
      texts.push_back(m.text);
      source = zip_source_buffer(zip, texts.back().data(), texts.back().size(), 0);
    }
    if (!source || zip_file_add(zip, m.name.c_str(), source, ZIP_FL_ENC_UTF_8) < 0) {
      if (source) zip_source_free(source);
      zip_discard(zip);
      throw std::runtime_error("cannot add " + m.name + " to " + path.string());
    }
  }
  if (zip_close(zip) != 0) {
    zip_discard(zip);
    std::filesystem::remove(temp, ec);
    throw std::runtime_error("cannot write " + path.string());
  }
  // zip_close wrote and closed the temp file; flush it and move it into place.
  try {
    io::commit_file(temp, path);
  } catch (const io::AtomicWriteError& e) {
    throw std::filesystem::filesystem_error("cannot rename", temp, path,
                                            std::error_code(e.error(), std::generic_category()));
  }
}

}  // namespace mlexport::store
