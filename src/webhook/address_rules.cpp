// The SSRF rule's address table (contract section 7): everything that is not a globally reachable unicast
// address is forbidden, after IANA's special-purpose registries. IPv6 forms that embed an IPv4 address
// (IPv4-mapped, NAT64, 6to4) are judged by the embedded address, since that is what they reach. IPv6 outside
// global unicast (2000::/3) is refused whatever it is.
#include "address_rules.hpp"

#include <prequal/webhook/destination.hpp>

#include <array>
#include <cstdint>

namespace prequal::webhook {
namespace detail {
namespace {

struct v4_range {
    std::uint32_t network;
    int prefix;
    std::string_view kind;
};

constexpr std::uint32_t v4(unsigned a, unsigned b, unsigned c, unsigned d) {
    return (a << 24U) | (b << 16U) | (c << 8U) | d;
}

// Order matters only for the words: the first match names the address.
constexpr std::array<v4_range, 16> v4_forbidden{{
    {v4(0, 0, 0, 0), 8, "a \"this network\" address"},
    {v4(10, 0, 0, 0), 8, "a private address"},
    {v4(100, 64, 0, 0), 10, "a shared (carrier-grade NAT) address"},
    {v4(127, 0, 0, 0), 8, "a loopback address"},
    {v4(169, 254, 0, 0), 16, "a link-local address"},
    {v4(172, 16, 0, 0), 12, "a private address"},
    {v4(192, 0, 0, 0), 24, "an IETF protocol assignment address"},
    {v4(192, 0, 2, 0), 24, "a documentation address"},
    {v4(192, 88, 99, 0), 24, "a 6to4 relay address"},
    {v4(192, 168, 0, 0), 16, "a private address"},
    {v4(198, 18, 0, 0), 15, "a benchmarking address"},
    {v4(198, 51, 100, 0), 24, "a documentation address"},
    {v4(203, 0, 113, 0), 24, "a documentation address"},
    {v4(224, 0, 0, 0), 4, "a multicast address"},
    {v4(255, 255, 255, 255), 32, "the broadcast address"},
    {v4(240, 0, 0, 0), 4, "a reserved address"},
}};

std::string_view v4_kind(std::uint32_t a) {
    for (const auto& r : v4_forbidden) {
        const std::uint32_t mask =
            r.prefix == 0 ? 0 : ~std::uint32_t{0} << (32U - static_cast<unsigned>(r.prefix));
        if ((a & mask) == r.network) return r.kind;
    }
    return {};
}

using v6_bytes = boost::asio::ip::address_v6::bytes_type;

bool v6_in(const v6_bytes& a, std::initializer_list<unsigned> prefix_bytes, int prefix) {
    // `prefix_bytes` spells the network's leading bytes; `prefix` bits of them must match.
    v6_bytes net{};
    std::size_t i = 0;
    for (const auto b : prefix_bytes) net.at(i++) = static_cast<unsigned char>(b);
    for (int bit = 0; bit < prefix; ++bit) {
        const auto byte = static_cast<std::size_t>(bit / 8);
        const auto shift = static_cast<unsigned>(7 - (bit % 8));
        if (((a.at(byte) >> shift) & 1U) != ((net.at(byte) >> shift) & 1U)) return false;
    }
    return true;
}

std::uint32_t v4_at(const v6_bytes& a, std::size_t offset) {
    return (std::uint32_t{a.at(offset)} << 24U) | (std::uint32_t{a.at(offset + 1)} << 16U) |
           (std::uint32_t{a.at(offset + 2)} << 8U) | std::uint32_t{a.at(offset + 3)};
}

std::string_view v6_kind(const boost::asio::ip::address_v6& address) {
    const auto a = address.to_bytes();
    if (address.is_unspecified()) return "the unspecified address";
    if (address.is_loopback()) return "a loopback address";
    // ::ffff:0:0/96 (IPv4-mapped) and 64:ff9b::/96 (NAT64): the IPv4 address they reach decides.
    if (address.is_v4_mapped() || v6_in(a, {0x00, 0x64, 0xff, 0x9b}, 96)) return v4_kind(v4_at(a, 12));
    // 2002::/16 (6to4): the embedded IPv4 address is the relay's target.
    if (v6_in(a, {0x20, 0x02}, 16)) return v4_kind(v4_at(a, 2));
    if (v6_in(a, {}, 96)) return "an IPv4-compatible (deprecated) address";
    if (v6_in(a, {0x00, 0x64, 0xff, 0x9b, 0x00, 0x01}, 48)) return "a local-use NAT64 address";
    if (v6_in(a, {0x01, 0x00}, 64)) return "a discard-only address";
    if (v6_in(a, {0x20, 0x01, 0x0d, 0xb8}, 32)) return "a documentation address";
    if (v6_in(a, {0x3f, 0xff}, 20)) return "a documentation address";
    if (v6_in(a, {0x20, 0x01}, 23)) return "an IETF protocol assignment address";
    if (v6_in(a, {0xfc}, 7)) return "a unique-local (private) address";
    if (v6_in(a, {0xfe, 0x80}, 10)) return "a link-local address";
    if (v6_in(a, {0xfe, 0xc0}, 10)) return "a site-local (deprecated) address";
    if (v6_in(a, {0xff}, 8)) return "a multicast address";
    // Global unicast is 2000::/3; everything else is unassigned or special (e.g. 5f00::/16 SRv6).
    if (!v6_in(a, {0x20}, 3)) return "a reserved address";
    return {};
}

}  // namespace

std::string_view forbidden_kind(const boost::asio::ip::address& address) {
    if (address.is_v4()) return v4_kind(address.to_v4().to_uint());
    return v6_kind(address.to_v6());
}

}  // namespace detail

bool is_forbidden_address(const boost::asio::ip::address& address) {
    return !detail::forbidden_kind(address).empty();
}

}  // namespace prequal::webhook
