// fork/exec with captured output; the child only makes async-signal-safe calls before exec, because
// the parent may be multi-threaded.
#include "subprocess.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

extern char** environ;

namespace prequal::pg::detail {
namespace {

[[noreturn]] void child_fail(const char* what) {
    // Not strictly signal-safe, but glibc's is in practice; and the child of fork() has only this thread.
    const char* reason = std::strerror(errno);  // NOLINT(concurrency-mt-unsafe)
    (void)!write(STDERR_FILENO, what, std::strlen(what));
    (void)!write(STDERR_FILENO, ": ", 2);
    (void)!write(STDERR_FILENO, reason, std::strlen(reason));
    (void)!write(STDERR_FILENO, "\n", 1);
    _exit(127);
}

// The parent's environment with HOME/USER/LOGNAME describing the user the child runs as.
std::vector<std::string> child_environment(const user_identity* as_user) {
    std::vector<std::string> env;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        const std::string_view entry(*e);
        if (as_user != nullptr &&
            (entry.starts_with("HOME=") || entry.starts_with("USER=") || entry.starts_with("LOGNAME="))) {
            continue;
        }
        env.emplace_back(entry);
    }
    if (as_user != nullptr) {
        env.push_back("HOME=" + as_user->home);
        env.push_back("USER=" + as_user->name);
        env.push_back("LOGNAME=" + as_user->name);
    }
    return env;
}

// Bound for getpwnam_r's buffer (a passwd entry is a few hundred bytes; this stops a runaway ERANGE loop).
constexpr std::size_t max_passwd_buffer = std::size_t{1} << 20;

std::vector<char*> c_strings(std::vector<std::string>& strings) {
    std::vector<char*> out;
    out.reserve(strings.size() + 1);
    for (auto& s : strings) out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

}  // namespace

user_identity lookup_user(const std::string& name) {
    // getpwnam_r: getpwnam's static result may be overwritten by another thread's look-up.
    const long hint = sysconf(_SC_GETPW_R_SIZE_MAX);
    std::vector<char> buffer(hint > 0 ? static_cast<std::size_t>(hint) : 16384);
    passwd entry{};
    passwd* pw = nullptr;
    while (getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &pw) == ERANGE &&
           buffer.size() < max_passwd_buffer) {
        buffer.resize(buffer.size() * 2);
    }
    if (pw == nullptr) {
        throw std::runtime_error("user '" + name + "' does not exist (needed to run PostgreSQL when root)");
    }
    user_identity u{name, pw->pw_dir != nullptr ? pw->pw_dir : "/", pw->pw_uid, pw->pw_gid, {}};
    int count = 16;
    std::vector<gid_t> groups(static_cast<std::size_t>(count));
    while (getgrouplist(name.c_str(), u.gid, groups.data(), &count) < 0) {
        groups.resize(static_cast<std::size_t>(count) + 16);
        count = static_cast<int>(groups.size());
    }
    groups.resize(static_cast<std::size_t>(count));
    u.groups = std::move(groups);
    return u;
}

command_result run_command(const std::vector<std::string>& argv, const user_identity* as_user) {
    std::vector<std::string> args = argv;
    std::vector<std::string> env = child_environment(as_user);
    std::vector<char*> c_args = c_strings(args);
    std::vector<char*> c_env = c_strings(env);

    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe2");
    const int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    const pid_t pid = fork();
    if (pid < 0) {
        const int err = errno;
        close(out[0]);
        close(out[1]);
        if (devnull >= 0) close(devnull);
        throw std::system_error(err, std::generic_category(), "fork");
    }
    if (pid == 0) {
        if (devnull >= 0) dup2(devnull, STDIN_FILENO);
        dup2(out[1], STDOUT_FILENO);
        dup2(out[1], STDERR_FILENO);
        sigset_t none;
        sigemptyset(&none);
        pthread_sigmask(SIG_SETMASK, &none, nullptr);
        struct sigaction default_action {};
        default_action.sa_handler = SIG_DFL;
        sigaction(SIGPIPE, &default_action, nullptr);
        if (as_user != nullptr) {
            if (setgroups(as_user->groups.size(), as_user->groups.data()) != 0) child_fail("setgroups");
            if (setgid(as_user->gid) != 0) child_fail("setgid");
            if (setuid(as_user->uid) != 0) child_fail("setuid");
        }
        // The parent's cwd (e.g. /root) may be closed to the unprivileged user.
        if (chdir("/") != 0) child_fail("chdir");
        execve(c_args[0], c_args.data(), c_env.data());
        child_fail(c_args[0]);
    }
    close(out[1]);
    if (devnull >= 0) close(devnull);

    command_result result;
    char buffer[4096];
    for (;;) {
        const ssize_t n = read(out[0], buffer, sizeof buffer);
        if (n > 0) {
            result.output.append(buffer, static_cast<std::size_t>(n));
        } else if (n == 0 || errno != EINTR) {
            break;
        }
    }
    close(out[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return result;
}

}  // namespace prequal::pg::detail
