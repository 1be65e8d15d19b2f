# Installs the library, its headers and a CMake package so that another project can
#   find_package(posemb REQUIRED)
#   target_link_libraries(app PRIVATE posemb::posemb)
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS posemb EXPORT posembTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/posemb
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT posembTargets NAMESPACE posemb::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/posemb)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/posembConfig.cmake.in
        ${PROJECT_BINARY_DIR}/posembConfig.cmake
        INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/posemb)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/posembConfigVersion.cmake
        COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/posembConfig.cmake
              ${PROJECT_BINARY_DIR}/posembConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/posemb)
if(TARGET posemb-cli)
  install(TARGETS posemb-cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
