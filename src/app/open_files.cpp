// Raising RLIMIT_NOFILE and deriving the default --max-connections from it.
#include "open_files.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <string>
#include <system_error>

namespace prequal::app {

namespace {

std::uint64_t as_count(rlim_t v) {
    return v == RLIM_INFINITY ? unlimited_files : static_cast<std::uint64_t>(v);
}

bool set_soft(rlim_t soft, rlim_t hard) {
    const rlimit want{soft, hard};
    return ::setrlimit(RLIMIT_NOFILE, &want) == 0;
}

/// fs.nr_open: the most descriptors Linux lets a process have, whatever its hard limit says.
rlim_t nr_open() {
    std::ifstream in("/proc/sys/fs/nr_open");
    unsigned long long n = 0;
    return (in >> n) ? static_cast<rlim_t>(n) : RLIM_INFINITY;
}

}  // namespace

open_files_limit raise_open_files_limit() {
    open_files_limit out;
    rlimit now{};
    if (::getrlimit(RLIMIT_NOFILE, &now) != 0) {
        out.error = errno;
        return out;
    }
    out.soft_before = as_count(now.rlim_cur);
    out.hard = as_count(now.rlim_max);
    if (now.rlim_cur != now.rlim_max) {
        if (set_soft(now.rlim_max, now.rlim_max)) {
            now.rlim_cur = now.rlim_max;
        } else {
            out.error = errno;
            // A hard limit of RLIM_INFINITY (or above fs.nr_open) cannot be the soft limit on Linux.
            const rlim_t ceiling = std::min(now.rlim_max, nr_open());
            if (ceiling > now.rlim_cur && set_soft(ceiling, now.rlim_max)) {
                now.rlim_cur = ceiling;
                out.error = 0;
            }
        }
    }
    out.soft = as_count(now.rlim_cur);
    return out;
}

std::size_t reserved_descriptors(const service_config& config) {
    return std::max(reserve_floor, config.db_pool_size + reserve_over_pool) +
           (config.bus == "kafka" ? reserve_kafka : 0);
}

std::size_t derived_max_connections(std::uint64_t soft, std::size_t reserve) {
    const std::uint64_t after_reserve = soft > reserve ? soft - reserve : 0;
    return static_cast<std::size_t>(std::max<std::uint64_t>({after_reserve, soft / 2, 1}));
}

std::size_t connection_budget(const service_config& config, const core::logger& log) {
    const auto limit = raise_open_files_limit();
    const auto reserve = reserved_descriptors(config);
    if (limit.soft == 0) {  // getrlimit failed: nothing to derive from
        const std::size_t fallback = config.max_connections != 0 ? config.max_connections : 1024;
        log.warn("cannot read the open-files limit", {{"error", std::system_category().message(limit.error)},
                                                      {"max_connections", std::to_string(fallback)}});
        return fallback;
    }
    const auto derived = derived_max_connections(limit.soft, reserve);
    const auto chosen = config.max_connections != 0 ? config.max_connections : derived;
    log.info("open-files limit", {{"soft", std::to_string(limit.soft)},
                                  {"soft_at_start", std::to_string(limit.soft_before)},
                                  {"hard", std::to_string(limit.hard)},
                                  {"reserve", std::to_string(reserve)},
                                  {"max_connections", std::to_string(chosen)},
                                  {"max_connections_from",
                                   config.max_connections != 0 ? "--max-connections" : "open-files limit"}});
    if (limit.error != 0)
        log.warn(
            "could not raise the soft open-files limit to the hard limit",
            {{"error", std::system_category().message(limit.error)}, {"soft", std::to_string(limit.soft)}});
    if (config.max_connections > derived)
        log.warn(
            "--max-connections is above what the open-files limit leaves for connections; beyond it "
            "accepts fail with EMFILE",
            {{"max_connections", std::to_string(config.max_connections)},
             {"open_files_allow", std::to_string(derived)}});
    return chosen;
}

}  // namespace prequal::app
