// prequal's entry point: parse the command line, then hand over to the composition root.
#include "apikey_command.hpp"
#include "config.hpp"
#include "ops_commands.hpp"
#include "personal_data_commands.hpp"
#include "service.hpp"
#include "webhook_command.hpp"

#include <prequal/core/logger.hpp>
#include <prequal/crypto/keys.hpp>

#include <cstdio>
#include <exception>

int main(int argc, char** argv) {
    using namespace prequal;
    app::command_line cl;
    try {
        cl = app::parse_command_line(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "prequal: %s\n", e.what());
        return 2;
    }
    if (cl.command == "help") {
        std::fputs(cl.help_text.c_str(), stdout);
        return 0;
    }
    if (cl.command == "version") {
        std::printf("prequal %s\n", PREQUAL_VERSION);
        return 0;
    }
    if (cl.command == "keygen") {
        const auto keys = crypto::generate_keys();
        std::printf("--encryption-keys=%s\n--pan-index-key=%s\n",
                    crypto::format_encryption_key(keys.encryption_keys.front()).c_str(),
                    crypto::format_pan_index_key(keys.pan_index_key).c_str());
        return 0;
    }
    core::log_level level = core::log_level::info;
    core::parse_log_level(cl.config.log_level, level);
    core::logger log{"prequal", level};
    try {
        if (cl.command == "migrate") return app::run_migrate(cl.config, log);
        if (cl.command == "dlq" || cl.command == "outbox") return app::run_ops_command(cl, log);
        if (cl.command == "apikey") return app::run_apikey_command(cl, log);
        if (cl.command == "rewrap") return app::run_rewrap_command(cl, log);
        if (cl.command == "erase") return app::run_erase_command(cl, log);
        if (cl.command == "webhook") return app::run_webhook_command(cl, log);
        if (cl.command != "serve") {
            std::fprintf(stderr, "prequal: unknown command '%s' (try prequal --help)\n", cl.command.c_str());
            return 2;
        }
        app::service svc{cl.config, log};
        return svc.run_until_signal();
    } catch (const std::exception& e) {
        log.error("fatal", {{"error", e.what()}});
        std::fprintf(stderr, "prequal: %s\n", e.what());
        return 1;
    }
}
