// The embedded default's key file: created 0600, re-read unchanged, refused when others can read it.
#include <prequal/crypto/keys.hpp>

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace crypto = prequal::crypto;
namespace fs = std::filesystem;
using Catch::Matchers::Contains;

namespace {

struct temp_dir {
    fs::path path;
    temp_dir() {
        std::random_device rd;
        path = fs::temp_directory_path() /
               ("prequal-keyfile-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
        fs::create_directories(path);
    }
    ~temp_dir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
};

unsigned mode_of(const fs::path& p) {
    struct stat st {};
    REQUIRE(::stat(p.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

std::string slurp(const fs::path& p) {
    std::ifstream in{p};
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void write_private(const fs::path& p, const std::string& text) {
    std::ofstream{p} << text;
    fs::permissions(p, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace);
}

bool same(const crypto::key_material& a, const crypto::key_material& b) {
    if (a.pan_index_key != b.pan_index_key || a.encryption_keys.size() != b.encryption_keys.size())
        return false;
    for (std::size_t i = 0; i < a.encryption_keys.size(); ++i) {
        if (a.encryption_keys[i].id != b.encryption_keys[i].id) return false;
        if (a.encryption_keys[i].key != b.encryption_keys[i].key) return false;
    }
    return true;
}

}  // namespace

TEST_CASE("unit: crypto key file is created private and re-read unchanged", "[unit][crypto]") {
    const temp_dir dir;
    const fs::path file = dir.path / "prequal-keys";
    const auto created = crypto::load_or_create_key_file(file);

    REQUIRE(fs::exists(file));
    CHECK(mode_of(file) == 0600);
    const std::string text = slurp(file);
    CHECK(text == "encryption_keys=" + crypto::format_encryption_key(created.encryption_keys.at(0)) +
                      "\npan_index_key=" + crypto::format_pan_index_key(created.pan_index_key) + "\n");
    CHECK(std::distance(fs::directory_iterator{dir.path}, fs::directory_iterator{}) == 1);  // no temp left

    const auto reread = crypto::load_or_create_key_file(file);
    CHECK(same(created, reread));
    CHECK(slurp(file) == text);
}

TEST_CASE("unit: crypto key file is refused when group or others have access", "[unit][crypto]") {
    const temp_dir dir;
    const fs::path file = dir.path / "prequal-keys";
    crypto::load_or_create_key_file(file);
    for (const unsigned mode : {0644u, 0640u, 0604u, 0602u, 0660u}) {
        INFO("mode " << std::oct << mode);
        REQUIRE(::chmod(file.c_str(), mode) == 0);
        CHECK_THROWS_WITH(crypto::load_or_create_key_file(file),
                          Contains(file.string()) && Contains("chmod 600 " + file.string()));
    }
    REQUIRE(::chmod(file.c_str(), 0400) == 0);
    CHECK_NOTHROW(crypto::load_or_create_key_file(file));
}

TEST_CASE("unit: crypto key file accepts several keys and reports malformed contents", "[unit][crypto]") {
    const temp_dir dir;
    const fs::path file = dir.path / "keys";
    const auto a = crypto::generate_keys();
    const crypto::encryption_key old{"k0", std::vector<std::uint8_t>(32, 9)};
    const std::string ring = "encryption_keys=" + crypto::format_encryption_key(a.encryption_keys[0]) + "," +
                             crypto::format_encryption_key(old);
    const std::string index = "pan_index_key=" + crypto::format_pan_index_key(a.pan_index_key);

    write_private(file, "# rotated\r\n" + ring + "\r\n\r\n" + index);
    const auto read = crypto::load_or_create_key_file(file);
    REQUIRE(read.encryption_keys.size() == 2);
    CHECK(read.encryption_keys[1].id == "k0");
    CHECK(read.pan_index_key == a.pan_index_key);

    write_private(file, ring + "\n");
    CHECK_THROWS_WITH(crypto::load_or_create_key_file(file), Contains("missing the pan_index_key line"));
    write_private(file, index + "\n");
    CHECK_THROWS_WITH(crypto::load_or_create_key_file(file), Contains("missing the encryption_keys line"));
    write_private(file, ring + "\n" + index + "\n" + index + "\n");
    CHECK_THROWS_WITH(crypto::load_or_create_key_file(file), Contains("line 3") && Contains("twice"));
    write_private(file, "encryption_keys=k1:AAAA\n" + index + "\n");
    CHECK_THROWS_WITH(crypto::load_or_create_key_file(file),
                      Contains("line 1") && Contains("key must be 32 bytes after base64 decoding, got 3"));
    const std::string stray = crypto::format_pan_index_key(a.pan_index_key);
    write_private(file, ring + "\n" + index + "\n" + stray + "\n");
    try {
        crypto::load_or_create_key_file(file);
        FAIL("expected an exception");
    } catch (const std::runtime_error& e) {
        CHECK_THAT(std::string{e.what()}, Contains("line 3"));
        CHECK(std::string{e.what()}.find(stray.substr(0, 12)) == std::string::npos);
    }
}

TEST_CASE("unit: crypto key file creation races settle on one set of keys", "[unit][crypto]") {
    const temp_dir dir;
    const fs::path file = dir.path / "prequal-keys";
    std::vector<crypto::key_material> results(6);
    std::vector<std::thread> threads;
    for (auto& r : results) {
        threads.emplace_back([&r, &file] { r = crypto::load_or_create_key_file(file); });
    }
    for (auto& t : threads) t.join();
    for (const auto& r : results) CHECK(same(r, results.front()));
    CHECK(same(crypto::load_or_create_key_file(file), results.front()));
    CHECK(std::distance(fs::directory_iterator{dir.path}, fs::directory_iterator{}) == 1);
}

TEST_CASE("unit: crypto key file reports an unusable location", "[unit][crypto]") {
    const temp_dir dir;
    CHECK_THROWS_AS(crypto::load_or_create_key_file(dir.path / "missing-dir" / "keys"), std::runtime_error);
    CHECK_THROWS_WITH(crypto::load_or_create_key_file(dir.path), Contains("not a regular file"));
}
