// kcat through the shell: arguments are single-quoted, values go through temporary files.
#include "kcat.hpp"

#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

namespace prequal::test {

namespace {

std::string kcat_path() {
    const char* env = std::getenv("PREQUAL_KCAT");
    return env ? env : PREQUAL_KCAT_PATH;
}

std::string quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string{"'\\''"} : std::string(1, c);
    return out + "'";
}

}  // namespace

bool kcat_available() { return !kcat_path().empty(); }

int kcat_produce(const std::string& bootstrap, const std::string& topic, const std::string& key,
                 const std::string& value, const std::vector<std::pair<std::string, std::string>>& headers) {
    char path[] = "/tmp/prequal-kcat-XXXXXX";
    const int fd = ::mkstemp(path);
    REQUIRE(fd >= 0);
    ::close(fd);
    std::ofstream{path, std::ios::binary} << value;
    // A file argument makes kcat send the whole file as one message (no newline splitting).
    std::string cmd = "timeout 30 " + quote(kcat_path()) + " -P -b " + quote(bootstrap) + " -t " +
                      quote(topic) + " -k " + quote(key);
    for (const auto& [name, v] : headers) cmd += " -H " + quote(name + "=" + v);
    cmd += " " + quote(path);
    const int status = std::system(cmd.c_str());
    ::unlink(path);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string kcat_consume(const std::string& bootstrap, const std::string& topic, const std::string& format) {
    const std::string cmd = "timeout 30 " + quote(kcat_path()) + " -C -b " + quote(bootstrap) + " -t " +
                            quote(topic) + " -o beginning -e -q -f " + quote(format);
    FILE* p = ::popen(cmd.c_str(), "r");
    REQUIRE(p != nullptr);
    std::string out;
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    const int status = ::pclose(p);
    INFO("kcat -C exit status " << status);
    CHECK(status == 0);
    return out;
}

}  // namespace prequal::test
