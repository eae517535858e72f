# make release: static linux/amd64 and linux/arm64 tarballs with SHA256SUMS and
# the container image (OCI layout) in dist/; scripts/release says how.
# make check-release: build one architecture and check it as CI does.
.PHONY: release check-release

release:
	scripts/release

check-release:
	test/release
