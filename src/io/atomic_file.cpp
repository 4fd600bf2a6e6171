#include "io/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace mlexport::io {

namespace {

std::string step_text(AtomicStep step) {
  switch (step) {
    case AtomicStep::kCreate:
      return "cannot create";
    case AtomicStep::kWrite:
      return "cannot write";
    case AtomicStep::kSync:
      return "cannot sync";
    case AtomicStep::kClose:
      return "cannot close";
    case AtomicStep::kRename:
      return "cannot rename onto";
  }
  return "cannot write";
}

fs::path folder_of(const fs::path& target) {
  return target.parent_path().empty() ? fs::path(".") : target.parent_path();
}

fs::path temp_template(const fs::path& target) {
  return folder_of(target) / ("." + target.filename().string() + ".tmp-XXXXXX");
}

// The rename happened; a folder that cannot be opened or synced only loses durability.
void fsync_folder(const fs::path& folder) {
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

AtomicWriteError::AtomicWriteError(AtomicStep step, fs::path path, int error, fs::path source)
    : std::runtime_error(step_text(step) + " " + path.string() + ": " + std::strerror(error)),
      step_(step),
      path_(std::move(path)),
      source_(std::move(source)),
      error_(error) {}

AtomicFile::AtomicFile(const fs::path& target) : target_(target) {
  std::string name = temp_template(target).string();
  fd_ = ::mkstemp(name.data());
  temp_ = name;
  if (fd_ < 0) throw AtomicWriteError(AtomicStep::kCreate, temp_, errno);
  ::fchmod(fd_, 0644);  // mkstemp makes it 0600
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_ && !temp_.empty()) ::unlink(temp_.c_str());
}

void AtomicFile::write(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd_, bytes.data(), std::min<size_t>(bytes.size(), size_t{1} << 30));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw AtomicWriteError(AtomicStep::kWrite, temp_, n < 0 ? errno : EIO);
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

void AtomicFile::commit() {
  // Flushed to disk before the rename makes the file visible under its real name.
  if (::fsync(fd_) != 0) throw AtomicWriteError(AtomicStep::kSync, temp_, errno);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) throw AtomicWriteError(AtomicStep::kClose, temp_, errno);
  if (::rename(temp_.c_str(), target_.c_str()) != 0)
    throw AtomicWriteError(AtomicStep::kRename, target_, errno, temp_);
  committed_ = true;
  fsync_folder(folder_of(target_));
}

AtomicFolder::AtomicFolder(const fs::path& target) {
  std::string name = temp_template(target).string();
  if (!::mkdtemp(name.data())) throw AtomicWriteError(AtomicStep::kCreate, name, errno);
  path_ = name;
}

AtomicFolder::~AtomicFolder() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

void AtomicFolder::commit(const std::string& name, const fs::path& target) {
  const fs::path from = path_ / name;
  if (::rename(from.c_str(), target.c_str()) != 0)
    throw AtomicWriteError(AtomicStep::kRename, target, errno, from);
  fsync_folder(folder_of(target));
}

void write_file_atomic(const fs::path& target, std::string_view bytes) {
  AtomicFile file(target);
  file.write(bytes);
  file.commit();
}

void write_file_atomic(const fs::path& target, const std::vector<std::string_view>& parts) {
  AtomicFile file(target);
  for (std::string_view part : parts) file.write(part);
  file.commit();
}

void commit_file(const fs::path& temp, const fs::path& target) {
  const int fd = ::open(temp.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
  if (::rename(temp.c_str(), target.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    throw AtomicWriteError(AtomicStep::kRename, target, err, temp);
  }
  fsync_folder(folder_of(target));
}

}  // namespace mlexport::io
