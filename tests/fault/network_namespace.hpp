// A network namespace joined to the root namespace by a veth pair, so a fault test can cut one TCP path
// silently (packets dropped, no RST, no ICMP): PostgreSQL listens on the root side, the service runs inside.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace prequal::test {

/// Thrown when this process cannot create network namespaces (not root, no `ip`, `ip netns add` refused):
/// tests WARN and return instead of failing.
class netns_unavailable : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// RAII: the namespace, the veth pair and the fallback route are removed on destruction, also when the
/// test fails. Names are unique per process and instance (`pqcut-<pid>-<n>`); leftovers of crashed test
/// processes are swept on construction. Addresses come from 198.18.0.0/15 (RFC 2544, benchmarking).
class veth_namespace {
public:
    /// Throws netns_unavailable (see above) or std::runtime_error with ip's output for any later step.
    veth_namespace();
    ~veth_namespace();
    veth_namespace(const veth_namespace&) = delete;
    veth_namespace& operator=(const veth_namespace&) = delete;

    const std::string& name() const { return name_; }
    /// The root side's address (PostgreSQL listens here) and the namespace side's.
    const std::string& root_address() const { return root_address_; }
    const std::string& inner_address() const { return inner_address_; }

    /// argv prefix that runs a command inside the namespace: {ip, netns, exec, name}.
    std::vector<std::string> exec_prefix() const;
    /// Moves the calling thread (only it) into the namespace, e.g. an HTTP client thread.
    void enter() const;

    /// Drops all traffic on the link without telling either end: the root side goes down (its routes fall
    /// back to a blackhole route, so nothing leaks through a default route), while the inner side keeps
    /// its permanent neighbour entry, so the kernel never reports "no route to host" to the service.
    void cut();
    /// Brings the link back (same addresses, same neighbours).
    void restore();

private:
    void ip(std::vector<std::string> args) const;

    std::string name_;
    std::string root_link_;
    std::string inner_link_;
    std::string root_mac_;
    std::string inner_mac_;
    std::string subnet_;
    std::string root_address_;
    std::string inner_address_;
};

}  // namespace prequal::test
