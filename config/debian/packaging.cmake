# The Debian package (`cmake --build BUILD --target package`, or `cpack -G DEB` in BUILD): the binary, its
# migrations, a hardened systemd unit (Type=notify) with its environment file, and the maintainer scripts
# that create the `prequal` system user. tests/package/check_package.sh checks it with dpkg-deb, lintian and
# systemd-analyze; docs/operations.md explains installing and running it.
set(debian_dir ${CMAKE_CURRENT_LIST_DIR})
set(systemd_dir ${CMAKE_CURRENT_LIST_DIR}/../systemd)

# Debian's layout: units in /lib/systemd/system (bookworm), configuration in /etc.
install(FILES ${systemd_dir}/prequal.service DESTINATION /lib/systemd/system)
install(FILES ${systemd_dir}/prequal.env DESTINATION /etc/prequal
  PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
install(FILES ${debian_dir}/copyright ${PROJECT_SOURCE_DIR}/README.md DESTINATION share/doc/prequal)
# Debian policy: the changelog of a native package (no Debian revision), gzip -9n (no timestamp, so the build is reproducible).
set(changelog_gz ${CMAKE_BINARY_DIR}/changelog.gz)
execute_process(COMMAND gzip -9nc ${debian_dir}/changelog OUTPUT_FILE ${changelog_gz})
install(FILES ${changelog_gz} DESTINATION share/doc/prequal)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME prequal)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "prequal developers <prequal@prequal.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "loan prequalification service for the Indian credit market")
set(CPACK_PACKAGE_DESCRIPTION "prequal accepts loan applications over HTTP, simulates a CIBIL score,
applies the lending rules and records PRE_APPROVED, REJECTED or MANUAL_REVIEW,
with a transactional outbox, PostgreSQL and an in-process or Kafka message bus.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES TRUE)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://prequal.invalid/")
# Library dependencies from the binary itself (dpkg-shlibdeps), plus what the maintainer scripts run.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "postgresql")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${debian_dir}/postinst ${debian_dir}/prerm ${debian_dir}/postrm ${debian_dir}/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
set(CPACK_WARN_ON_ABSOLUTE_INSTALL_DESTINATION OFF)
include(CPack)
