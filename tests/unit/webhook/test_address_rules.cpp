// is_forbidden_address: the SSRF rule's table, both families, with the boundaries of each range.
#include <prequal/webhook/destination.hpp>

#include <catch2/catch.hpp>

#include <string>

using prequal::webhook::is_forbidden_address;

namespace {

bool forbidden(const std::string& text) { return is_forbidden_address(boost::asio::ip::make_address(text)); }

}  // namespace

TEST_CASE("unit: webhook: IPv4 addresses that are not public are forbidden, their neighbours are not",
          "[unit][webhook][pure]") {
    struct row {
        const char* address;
        bool forbidden;
    };
    const row rows[] = {
        {"0.0.0.0", true},          {"0.255.255.255", true},    {"1.0.0.0", false},
        {"9.255.255.255", false},   {"10.0.0.0", true},         {"10.255.255.255", true},
        {"11.0.0.0", false},        {"100.63.255.255", false},  {"100.64.0.0", true},
        {"100.127.255.255", true},  {"100.128.0.0", false},     {"126.255.255.255", false},
        {"127.0.0.1", true},        {"127.255.255.254", true},  {"128.0.0.0", false},
        {"169.253.255.255", false}, {"169.254.0.0", true},      {"169.254.169.254", true},
        {"169.255.0.0", false},     {"172.15.255.255", false},  {"172.16.0.0", true},
        {"172.31.255.255", true},   {"172.32.0.0", false},      {"192.0.0.8", true},
        {"192.0.2.1", true},        {"192.88.99.1", true},      {"192.167.255.255", false},
        {"192.168.0.0", true},      {"192.168.255.255", true},  {"192.169.0.0", false},
        {"198.17.255.255", false},  {"198.18.0.0", true},       {"198.19.255.255", true},
        {"198.20.0.0", false},      {"198.51.100.7", true},     {"203.0.113.7", true},
        {"203.0.114.0", false},     {"223.255.255.255", false}, {"224.0.0.0", true},
        {"239.255.255.255", true},  {"240.0.0.0", true},        {"255.255.255.254", true},
        {"255.255.255.255", true},  {"8.8.8.8", false},         {"93.184.216.34", false},
    };
    for (const auto& r : rows) {
        INFO(r.address);
        CHECK(forbidden(r.address) == r.forbidden);
    }
}

TEST_CASE(
    "unit: webhook: IPv6 addresses outside public unicast are forbidden, IPv4 inside IPv6 is judged as IPv4",
    "[unit][webhook][pure]") {
    struct row {
        const char* address;
        bool forbidden;
    };
    const row rows[] = {
        {"::", true},
        {"::1", true},
        {"::2", true},  // IPv4-compatible (deprecated)
        {"::ffff:127.0.0.1", true},
        {"::ffff:10.1.2.3", true},
        {"::ffff:169.254.169.254", true},
        {"::ffff:172.15.255.255", false},
        {"::ffff:8.8.8.8", false},
        {"64:ff9b::a00:1", true},     // NAT64 of 10.0.0.1
        {"64:ff9b::808:808", false},  // NAT64 of 8.8.8.8
        {"64:ff9b:1::1", true},
        {"100::1", true},
        {"2001:db8::1", true},
        {"2001::1", true},           // Teredo
        {"2002:a00:1::1", true},     // 6to4 of 10.0.0.1
        {"2002:808:808::1", false},  // 6to4 of 8.8.8.8
        {"3fff::1", true},
        {"5f00::1", true},
        {"fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true},  // outside 2000::/3
        {"fc00::1", true},
        {"fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true},
        {"fe80::1", true},
        {"febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true},
        {"fec0::1", true},
        {"ff02::1", true},
        {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true},
        {"1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true},
        {"2000::", false},
        {"2001:200::1", false},
        {"2001:4860:4860::8888", false},
        {"2606:4700:4700::1111", false},
        {"2a00:1450:4001:80b::200e", false},
        {"3ffe:ffff::1", false},
    };
    for (const auto& r : rows) {
        INFO(r.address);
        CHECK(forbidden(r.address) == r.forbidden);
    }
}
