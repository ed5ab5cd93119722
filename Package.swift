// swift-tools-version: 6.0
import PackageDescription

// One arithmetic on every build: the kernels never fuse multiply-add, so the bits do not
// depend on the target CPU. The target CPU only decides speed: on x86-64 we ask for
// Haswell (AVX2 for 8-wide float lanes, F16C for hardware half -> float widening).
#if arch(x86_64)
let cpu: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "haswell"])]
#else
let cpu: [SwiftSetting] = []
#endif

// The library modules are optimized in debug builds too, so that `swift test` (debug) runs
// at a usable speed. Optimization never changes results here (no FMA contraction, fixed
// reduction orders, no fast-math), and overflow and bounds checks stay on.
let optimized: [SwiftSetting] = cpu + [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
  name: "swift-medusa",
  platforms: [.macOS(.v14)],
  products: [
    .executable(name: "medusa", targets: ["MedusaCLI"]),
    .library(name: "Medusa", targets: ["Medusa"]),
    .library(name: "Llama", targets: ["Llama"]),
    .library(name: "MedusaTokenizer", targets: ["MedusaTokenizer"]),
  ],
  targets: [
    .target(name: "MedusaKernels", swiftSettings: optimized),
    .target(name: "MedusaFormats", swiftSettings: optimized),
    .target(name: "MedusaTokenizer", swiftSettings: optimized),
    .target(name: "Llama", dependencies: ["MedusaKernels", "MedusaFormats"], swiftSettings: optimized),
    .target(
      name: "Medusa", dependencies: ["Llama", "MedusaKernels", "MedusaFormats"],
      swiftSettings: optimized),
    .executableTarget(
      name: "MedusaCLI",
      dependencies: ["Medusa", "Llama", "MedusaTokenizer", "MedusaFormats", "MedusaKernels"],
      swiftSettings: cpu),
    .target(name: "GoldenSupport", path: "Tests/GoldenSupport"),
    .testTarget(name: "MedusaKernelsTests", dependencies: ["MedusaKernels"], swiftSettings: cpu),
    .testTarget(name: "MedusaFormatsTests", dependencies: ["MedusaFormats"], swiftSettings: cpu),
    .testTarget(name: "MedusaTokenizerTests", dependencies: ["MedusaTokenizer"], swiftSettings: cpu),
    .testTarget(
      name: "LlamaTests",
      dependencies: ["Llama", "MedusaKernels", "MedusaFormats", "GoldenSupport"],
      swiftSettings: cpu),
    .testTarget(
      name: "MedusaTests",
      dependencies: ["Medusa", "Llama", "MedusaKernels", "MedusaFormats", "GoldenSupport"],
      swiftSettings: cpu),
  ]
)
