// Files that are either the old or the new content, never half of either: written under a hidden
// temporary name beside the target (".<name>.tmp-XXXXXX", which ml-export's interrupt handler
// also removes), flushed to disk, renamed onto the target, folder synced. Every writer of an
// output or a record goes through here; each keeps its own error messages, built from the failed
// step that AtomicWriteError names.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace mlexport::io {

namespace fs = std::filesystem;

enum class AtomicStep { kCreate, kWrite, kSync, kClose, kRename };

// One failed step. path(): the temporary file (kCreate, kWrite, kSync, kClose; for kCreate the
// name that was tried) or the target (kRename, with source() the file being renamed); error():
// the errno. what() reads "cannot create|write|sync|close|rename onto <path>: <strerror>".
class AtomicWriteError : public std::runtime_error {
 public:
  AtomicWriteError(AtomicStep step, fs::path path, int error, fs::path source = {});
  AtomicStep step() const { return step_; }
  const fs::path& path() const { return path_; }
  const fs::path& source() const { return source_; }
  int error() const { return error_; }

 private:
  AtomicStep step_;
  fs::path path_;
  fs::path source_;
  int error_;
};

// One file. The temporary file is removed when this goes away uncommitted (an exception, an
// early return), so a failed write leaves nothing behind.
class AtomicFile {
 public:
  // Creates the temporary file (mode 0644) in the target's folder ("." when it has none).
  explicit AtomicFile(const fs::path& target);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  // For writers that write through the descriptor themselves (protobuf streams, pwrite).
  int fd() const { return fd_; }
  const fs::path& temp_path() const { return temp_; }
  const fs::path& target() const { return target_; }

  void write(std::string_view bytes);
  // fsync and close the temporary file, rename it onto the target, fsync the folder.
  void commit();

 private:
  fs::path target_;
  fs::path temp_;
  int fd_ = -1;
  bool committed_ = false;
};

// A private folder beside outputs that are written together (a model and its weights file): the
// files are written into path(), checked there, then renamed into place one by one. Removed with
// whatever is left in it when this goes away.
class AtomicFolder {
 public:
  // Creates ".<name of target>.tmp-XXXXXX" in the target's folder.
  explicit AtomicFolder(const fs::path& target);
  ~AtomicFolder();
  AtomicFolder(const AtomicFolder&) = delete;
  AtomicFolder& operator=(const AtomicFolder&) = delete;

  const fs::path& path() const { return path_; }
  // Renames path() / name onto `target` (kRename), then fsyncs the target's folder.
  void commit(const std::string& name, const fs::path& target);

 private:
  fs::path path_;
};

// The whole content at once, through AtomicFile.
void write_file_atomic(const fs::path& target, std::string_view bytes);
void write_file_atomic(const fs::path& target, const std::vector<std::string_view>& parts);

// For a temporary file that another library wrote and closed (libzip): fsyncs it (best effort),
// renames it onto `target` (removing it when that fails, kRename) and fsyncs the folder.
void commit_file(const fs::path& temp, const fs::path& target);

}  // namespace mlexport::io
