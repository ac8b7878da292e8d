// The openssl CLI calls behind test_pki.
#include "tls_pki.hpp"

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace prequal::test {

shell_result run_shell(const std::string& command) {
    shell_result out;
    FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
    if (pipe == nullptr) return out;
    std::array<char, 4096> chunk;
    while (const auto n = std::fread(chunk.data(), 1, chunk.size(), pipe)) out.output.append(chunk.data(), n);
    const int status = ::pclose(pipe);
    out.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return out;
}

std::string shell_quote(const std::string& text) {
    std::string out = "'";
    for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

namespace {

void must(const std::string& command) {
    const auto r = run_shell(command);
    if (r.status != 0) throw std::runtime_error("test PKI: `" + command + "` failed: " + r.output);
}

}  // namespace

test_pki::test_pki() {
    std::string pattern = (std::filesystem::temp_directory_path() / "prequal-pki-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("test PKI: mkdtemp failed");
    dir_ = pattern;
    const auto d = shell_quote(dir_.string());
    must(
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj '/CN=prequal "
        "test CA' "
        "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign -keyout " +
        d + "/ca.key -out " + d + "/ca.crt");
    std::ofstream ext(dir_ / "server.ext");
    ext << "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
           "subjectAltName=DNS:localhost,IP:127.0.0.1\n";
}

test_pki::~test_pki() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
}

test_pki::issued test_pki::issue(const std::string& name, const std::string& common_name) {
    issued out{dir_ / (name + ".crt"), dir_ / (name + ".key"), {}};
    const auto d = shell_quote(dir_.string());
    const auto csr = shell_quote((dir_ / (name + ".csr")).string());
    const int serial = next_serial_++;
    must("openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj " +
         shell_quote("/CN=" + common_name) + " -keyout " + shell_quote(out.key.string()) + " -out " + csr);
    must("openssl x509 -req -days 30 -in " + csr + " -CA " + d + "/ca.crt -CAkey " + d +
         "/ca.key -set_serial " + std::to_string(serial) + " -extfile " + d + "/server.ext -out " +
         shell_quote(out.cert.string()));
    char hex[16];
    std::snprintf(hex, sizeof hex, "%04X", serial);
    out.serial = hex;
    return out;
}

}  // namespace prequal::test
