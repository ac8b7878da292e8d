// A throwaway certificate authority and server certificates for TLS tests, made with the openssl command
// line tool (Debian's `openssl` package) in a temporary directory that is removed afterwards.
#pragma once

#include <filesystem>
#include <string>

namespace prequal::test {

struct shell_result {
    int status = -1;     // exit status, or -1 when it could not run
    std::string output;  // stdout and stderr together
};

/// Runs `command` with /bin/sh; waits for it.
shell_result run_shell(const std::string& command);

/// Single-quoted for /bin/sh.
std::string shell_quote(const std::string& text);

class test_pki {
public:
    struct issued {
        std::filesystem::path cert;
        std::filesystem::path key;
        std::string serial;  // upper-case hex, as OpenSSL prints it
    };

    /// Creates the CA (EC P-256, CN "prequal test CA"). Throws std::runtime_error when openssl fails.
    test_pki();
    ~test_pki();
    test_pki(const test_pki&) = delete;
    test_pki& operator=(const test_pki&) = delete;

    const std::filesystem::path& dir() const { return dir_; }
    std::filesystem::path ca_cert() const { return dir_ / "ca.crt"; }

    /// A server certificate for 127.0.0.1 and localhost with subject CN=`common_name`, signed by the CA,
    /// into <dir>/<name>.crt and <name>.key, with a serial of its own.
    issued issue(const std::string& name, const std::string& common_name);

private:
    std::filesystem::path dir_;
    int next_serial_ = 0x1001;
};

}  // namespace prequal::test
