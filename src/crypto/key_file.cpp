// The embedded default's key file: created once with fresh keys and mode 0600, then read on every start.
// Creation is atomic and never replaces a file another process created first, because a key file that
// changes under a running service would make its ciphertexts unreadable after the next restart.
#include "key_rules.hpp"

#include <prequal/crypto/keys.hpp>

#include <botan/hex.h>
#include <botan/system_rng.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>

namespace prequal::crypto {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void fail(const std::string& what, const fs::path& p) {
    const int err = errno;  // before anything below can change it
    throw std::runtime_error(what + " '" + p.string() + "': " + std::generic_category().message(err));
}

class fd_guard {
public:
    explicit fd_guard(int fd) : fd_{fd} {}
    ~fd_guard() {
        if (fd_ >= 0) ::close(fd_);
    }
    fd_guard(const fd_guard&) = delete;
    fd_guard& operator=(const fd_guard&) = delete;
    int get() const { return fd_; }

private:
    int fd_;
};

key_material parse_key_file(const std::string& text, const fs::path& file) {
    const std::string where = "key file '" + file.string() + "'";
    std::optional<std::vector<encryption_key>> ring;
    std::optional<std::vector<std::uint8_t>> index;
    std::size_t line_no = 0;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        const std::size_t end = std::min(text.find('\n', pos), text.size());
        std::string_view line{text.data() + pos, end - pos};
        pos = end + 1;
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty() || line.front() == '#') continue;

        const std::string at = where + " line " + std::to_string(line_no);
        const std::size_t eq = line.find('=');
        // The name is not echoed back: a damaged line may be a key.
        const std::string_view name = eq == std::string_view::npos ? std::string_view{} : line.substr(0, eq);
        const std::string_view value =
            eq == std::string_view::npos ? std::string_view{} : line.substr(eq + 1);
        try {
            if (name == "encryption_keys" && !ring) {
                ring = detail::parse_key_ring(value, at + ": encryption_keys");
            } else if (name == "pan_index_key" && !index) {
                index = detail::parse_index_key(value, at + ": pan_index_key");
            } else if (name == "encryption_keys" || name == "pan_index_key") {
                throw std::runtime_error(at + ": " + std::string{name} + " appears twice");
            } else {
                throw std::runtime_error(at + ": expected encryption_keys=ID:BASE64 or pan_index_key=BASE64");
            }
        } catch (const std::invalid_argument& e) {
            throw std::runtime_error(e.what());
        }
    }
    if (!ring) throw std::runtime_error(where + ": missing the encryption_keys line");
    if (!index) throw std::runtime_error(where + ": missing the pan_index_key line");
    return key_material{std::move(*ring), std::move(*index)};
}

key_material read_key_file(int fd, const fs::path& file) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) fail("cannot stat key file", file);
    if (!S_ISREG(st.st_mode))
        throw std::runtime_error("key file '" + file.string() + "' is not a regular file");
    if ((st.st_mode & 077) != 0) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
        throw std::runtime_error("key file '" + file.string() +
                                 "' is readable or writable by group or others (mode " + mode +
                                 "); it holds secret keys: run `chmod 600 " + file.string() + "`");
    }
    std::string text;
    char buf[4096];
    while (true) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail("cannot read key file", file);
        if (n == 0) break;
        text.append(buf, static_cast<std::size_t>(n));
        if (text.size() > std::size_t{64} * 1024)
            throw std::runtime_error("key file '" + file.string() + "' is too large");
    }
    return parse_key_file(text, file);
}

void write_all(int fd, const std::string& data, const fs::path& file) {
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail("cannot write key file", file);
        done += static_cast<std::size_t>(n);
    }
}

void fsync_directory(const fs::path& dir) {
    const fd_guard d{::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
    if (d.get() < 0 || ::fsync(d.get()) != 0) fail("cannot sync directory", dir);
}

/// Writes `content` to a private temporary file and links it into place. Returns false, leaving the
/// existing file alone, when `file` appeared meanwhile.
bool publish_key_file(const fs::path& file, const std::string& content) {
    const auto suffix = Botan::system_rng().random_vec(6);
    const fs::path tmp =
        file.string() + ".tmp-" + std::to_string(::getpid()) + "-" + Botan::hex_encode(suffix, false);
    struct tmp_remover {
        const fs::path& p;
        ~tmp_remover() { ::unlink(p.c_str()); }
    } remove_tmp{tmp};
    {
        const fd_guard fd{::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)};
        if (fd.get() < 0) fail("cannot create key file", file);
        if (::fchmod(fd.get(), 0600) != 0) fail("cannot set the mode of key file", tmp);  // umask-proof
        write_all(fd.get(), content, tmp);
        if (::fsync(fd.get()) != 0) fail("cannot sync key file", tmp);
    }
    // link() instead of rename(): it fails with EEXIST rather than replacing a file created concurrently.
    if (::link(tmp.c_str(), file.c_str()) != 0) {
        if (errno == EEXIST) return false;
        // File systems without hard links: rename is still atomic, only the no-replace guarantee is lost.
        if (errno != EPERM && errno != ENOTSUP && errno != EOPNOTSUPP) fail("cannot create key file", file);
        if (::rename(tmp.c_str(), file.c_str()) != 0) fail("cannot create key file", file);
    }
    fsync_directory(file.parent_path());
    return true;
}

}  // namespace

key_material load_or_create_key_file(const std::filesystem::path& file) {
    // Two rounds: if another process creates the file between our open and our link, read theirs.
    for (int round = 0; round < 2; ++round) {
        const fd_guard fd{::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY)};
        if (fd.get() >= 0) return read_key_file(fd.get(), file);
        if (errno != ENOENT) fail("cannot open key file", file);

        key_material fresh = generate_keys();
        const std::string content =
            "encryption_keys=" + format_encryption_key(fresh.encryption_keys.front()) +
            "\npan_index_key=" + format_pan_index_key(fresh.pan_index_key) + "\n";
        if (publish_key_file(file, content)) return fresh;
    }
    throw std::runtime_error("key file '" + file.string() + "' keeps appearing and disappearing");
}

}  // namespace prequal::crypto
