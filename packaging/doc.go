// Package packaging holds no code of the product: it is the home of the packaging scripts
// (build.sh, build-windows.sh) and of their test, package_test.go, which needs the packages
// built and runs only with the build tag packagetest (`make package-test`; see README.md).
package packaging
