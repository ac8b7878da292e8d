// veth_namespace: `ip netns` / `ip link` / `ip route` / `ip neigh` steps, run without a shell.
#include "network_namespace.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace prequal::test {
namespace {

struct command_result {
    int exit_code = -1;
    std::string output;  // stdout and stderr
};

std::string ip_binary() {
    for (const char* p : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"}) {
        if (access(p, X_OK) == 0) return p;
    }
    return {};
}

command_result run(const std::vector<std::string>& argv) {
    std::array<int, 2> out{};
    if (pipe2(out.data(), O_CLOEXEC) != 0) return {};
    const pid_t pid = fork();
    if (pid == 0) {
        dup2(out[1], STDOUT_FILENO);
        dup2(out[1], STDERR_FILENO);
        std::vector<char*> args;
        args.reserve(argv.size() + 1);
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        execv(args[0], args.data());
        _exit(127);
    }
    close(out[1]);
    command_result r;
    std::array<char, 512> buf{};
    for (ssize_t n; (n = read(out[0], buf.data(), buf.size())) != 0;) {
        if (n < 0) {
            if (errno == EINTR) continue;
            break;
        }
        r.output.append(buf.data(), static_cast<std::size_t>(n));
    }
    close(out[0]);
    int status = 0;
    if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
    return r;
}

command_result run_ip(std::vector<std::string> args) {
    args.insert(args.begin(), ip_binary());
    return run(args);
}

bool process_alive(int pid) { return kill(pid, 0) == 0 || errno != ESRCH; }

// Every name and address of instance `n` of process `pid`: one /30 out of 198.18.0.0/16 (16384 of them).
struct layout {
    std::string name, root_link, inner_link, root_mac, inner_mac, subnet, root_address, inner_address;
};

layout layout_for(int pid, int n) {
    layout l;
    const std::string id = std::to_string(pid);
    l.name = "pqcut-" + id + "-" + std::to_string(n);
    l.root_link = "pq" + id + "r" + std::to_string(n);  // at most 12 characters (IFNAMSIZ is 16)
    l.inner_link = "pq" + id + "n" + std::to_string(n);
    const int slot = (pid * 4 + n) % 16384;
    const std::string prefix = "198.18." + std::to_string(slot / 64) + ".";
    const int base = (slot % 64) * 4;
    l.subnet = prefix + std::to_string(base) + "/30";
    l.root_address = prefix + std::to_string(base + 1);
    l.inner_address = prefix + std::to_string(base + 2);
    std::array<char, 32> mac{};
    std::snprintf(mac.data(), mac.size(), "02:70:71:%02x:%02x:01", (slot >> 8) & 0xff, slot & 0xff);
    l.root_mac = mac.data();
    std::snprintf(mac.data(), mac.size(), "02:70:71:%02x:%02x:02", (slot >> 8) & 0xff, slot & 0xff);
    l.inner_mac = mac.data();
    return l;
}

// Best effort, in an order where each step works whether or not the previous one did.
void remove_all(const layout& l) {
    run_ip({"link", "del", l.root_link});  // takes its peer along, wherever it is
    run_ip({"route", "del", "blackhole", l.subnet, "metric", "4000"});
    run_ip({"netns", "del", l.name});
}

// Namespaces of test processes that died without their destructors (SIGKILL, timeout): kill what still
// runs inside, then remove the veth pair, the fallback route and the namespace.
void sweep_stale_namespaces() {
    std::istringstream list(run_ip({"netns", "list"}).output);
    std::string line;
    while (std::getline(list, line)) {
        const std::string name = line.substr(0, line.find(' '));
        int pid = 0;
        int n = 0;
        if (std::sscanf(name.c_str(), "pqcut-%d-%d", &pid, &n) != 2 || pid <= 0) continue;
        if (process_alive(pid)) continue;
        std::istringstream pids(run_ip({"netns", "pids", name}).output);
        for (int p; pids >> p;) kill(p, SIGKILL);
        remove_all(layout_for(pid, n));
    }
}

}  // namespace

veth_namespace::veth_namespace() {
    if (geteuid() != 0) throw netns_unavailable("not running as root");
    if (ip_binary().empty()) throw netns_unavailable("the ip command (iproute2) is not installed");
    sweep_stale_namespaces();

    static int instances = 0;
    const layout l = layout_for(static_cast<int>(getpid()), instances++ % 4);
    name_ = l.name;
    root_link_ = l.root_link;
    inner_link_ = l.inner_link;
    root_mac_ = l.root_mac;
    inner_mac_ = l.inner_mac;
    subnet_ = l.subnet;
    root_address_ = l.root_address;
    inner_address_ = l.inner_address;

    const command_result added = run_ip({"netns", "add", name_});
    if (added.exit_code != 0) throw netns_unavailable("ip netns add failed: " + added.output);
    try {
        ip({"link", "add", "name", root_link_, "address", root_mac_, "type", "veth", "peer", "name",
            inner_link_, "address", inner_mac_});
        ip({"link", "set", inner_link_, "netns", name_});
        ip({"addr", "add", root_address_ + "/30", "dev", root_link_});
        ip({"link", "set", root_link_, "up"});
        ip({"-n", name_, "addr", "add", inner_address_ + "/30", "dev", inner_link_});
        ip({"-n", name_, "link", "set", inner_link_, "up"});
        ip({"-n", name_, "link", "set", "lo", "up"});
        // No ARP on this link: a neighbour that stops answering would make the kernel report EHOSTUNREACH
        // after ~3 s, which is not a silent cut.
        ip({"neigh", "replace", inner_address_, "lladdr", inner_mac_, "dev", root_link_, "nud", "permanent"});
        ip({"-n", name_, "neigh", "replace", root_address_, "lladdr", root_mac_, "dev", inner_link_, "nud",
            "permanent"});
        // Used only while the root side is down (the connected route wins otherwise).
        ip({"route", "add", "blackhole", subnet_, "metric", "4000"});
    } catch (...) {
        remove_all(l);
        throw;
    }
}

veth_namespace::~veth_namespace() {
    remove_all(
        {name_, root_link_, inner_link_, root_mac_, inner_mac_, subnet_, root_address_, inner_address_});
}

void veth_namespace::ip(std::vector<std::string> args) const {
    std::string text;
    for (const auto& a : args) text += " " + a;
    const command_result r = run_ip(std::move(args));
    if (r.exit_code != 0) throw std::runtime_error("ip" + text + " failed: " + r.output);
}

std::vector<std::string> veth_namespace::exec_prefix() const { return {ip_binary(), "netns", "exec", name_}; }

void veth_namespace::enter() const {
    const std::string path = "/run/netns/" + name_;
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error("cannot open " + path);
    const int r = setns(fd, CLONE_NEWNET);
    close(fd);
    if (r != 0) throw std::runtime_error("setns into " + name_ + " failed");
}

void veth_namespace::cut() { ip({"link", "set", root_link_, "down"}); }

void veth_namespace::restore() {
    ip({"link", "set", root_link_, "up"});
    // Taking a link down flushes its neighbour table, permanent entries included.
    ip({"neigh", "replace", inner_address_, "lladdr", inner_mac_, "dev", root_link_, "nud", "permanent"});
}

}  // namespace prequal::test
