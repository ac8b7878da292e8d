// Running the PostgreSQL tools (initdb, pg_ctl) as child processes, optionally as another user
// (private to prequal::pg).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace prequal::pg::detail {

/// The identity a child process switches to (resolved up front: after fork only syscalls are safe).
struct user_identity {
    std::string name;
    std::string home;
    uid_t uid = 0;
    gid_t gid = 0;
    std::vector<gid_t> groups;
};

/// Looks up `name` in the user database; throws std::runtime_error if there is no such user.
user_identity lookup_user(const std::string& name);

struct command_result {
    int exit_code = 0;   // 128 + signal number if the child was killed
    std::string output;  // stdout and stderr interleaved
};

/// Runs argv (argv[0] an absolute path) with stdin from /dev/null and output captured, as `as_user`
/// when given (setgroups/setgid/setuid in the child before exec). Blocks until the child exits.
command_result run_command(const std::vector<std::string>& argv, const user_identity* as_user);

}  // namespace prequal::pg::detail
