// swift-tools-version: 6.0
import PackageDescription

// The bits never depend on the target CPU: every reduction has one fixed sixteen-lane layout
// and order, and fused multiply-add is exactly rounded on every CPU (a target without FMA
// computes it in software, slowly). The target CPU decides only speed: like llama.cpp, a build
// from source is for the machine it runs on (`native` on x86-64; the toolchain's default
// elsewhere); `MEDUSA_TARGET_CPU=x86-64 swift build` (any CPU name the Swift frontend knows, e.g.
// `haswell`, `skylake-avx512`, `znver3`) builds a portable binary that computes the same bits.
import Foundation

#if arch(x86_64)
  let defaultCPU: String? = "native"
#else
  let defaultCPU: String? = nil
#endif
let targetCPU = ProcessInfo.processInfo.environment["MEDUSA_TARGET_CPU"] ?? defaultCPU
let cpu: [SwiftSetting] = targetCPU.map { [.unsafeFlags(["-target-cpu", $0])] } ?? []

// The register tiles of the linear kernel fit the target's register file (a speed choice only,
// the bits are the same; Sources/MedusaKernels/LinearTiling.swift): `MEDUSA_WIDE_VECTORS` for a
// target with AVX-512 (32 registers of 16 floats), the narrow tiles otherwise. `native` asks
// this machine's /proc/cpuinfo; `MEDUSA_TILING=wide|narrow` overrides.
let avx512CPUs: Set<String> = [
  "skylake-avx512", "cascadelake", "cooperlake", "cannonlake", "icelake-client", "icelake-server",
  "tigerlake", "rocketlake", "sapphirerapids", "emeraldrapids", "graniterapids", "znver4",
  "znver5", "x86-64-v4",
]
func targetHasAVX512(_ cpu: String?) -> Bool {
  guard let cpu else { return false }
  guard cpu == "native" else { return avx512CPUs.contains(cpu) }
  let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
  let flags = cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") } ?? ""
  return flags.split(separator: " ").contains("avx512f")
}
let tiling = ProcessInfo.processInfo.environment["MEDUSA_TILING"]
let wideVectors = tiling.map { $0 == "wide" } ?? targetHasAVX512(targetCPU)
let kernelSettings: [SwiftSetting] = wideVectors ? [.define("MEDUSA_WIDE_VECTORS")] : []

// The library modules are optimized in debug builds too, so that `swift test` (debug) runs
// at a usable speed. Optimization never changes results here (no contraction of `a * b + c`,
// fixed reduction orders, no fast-math), and overflow and bounds checks stay on.
let optimized: [SwiftSetting] = cpu + [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
  name: "swift-medusa",
  platforms: [.macOS(.v15)],
  products: [
    .executable(name: "medusa", targets: ["MedusaCLI"]),
    .library(name: "Medusa", targets: ["Medusa"]),
    .library(name: "Llama", targets: ["Llama"]),
    .library(name: "MedusaTokenizer", targets: ["MedusaTokenizer"]),
    .library(name: "MedusaConformance", targets: ["MedusaConformance"]),
    .library(name: "MedusaTraining", targets: ["MedusaTraining"]),
  ],
  targets: [
    .target(name: "MedusaKernels", swiftSettings: optimized + kernelSettings),
    .target(name: "MedusaFormats", swiftSettings: optimized),
    .target(name: "MedusaTokenizer", dependencies: ["MedusaFormats"], swiftSettings: optimized),
    .target(name: "Llama", dependencies: ["MedusaKernels", "MedusaFormats"], swiftSettings: optimized),
    .target(
      name: "Medusa", dependencies: ["Llama", "MedusaKernels", "MedusaFormats"],
      swiftSettings: optimized),
    .target(
      name: "MedusaConformance",
      dependencies: ["Medusa", "Llama", "MedusaKernels", "MedusaFormats"],
      swiftSettings: optimized),
    .target(
      name: "MedusaTraining",
      dependencies: ["Medusa", "Llama", "MedusaKernels", "MedusaFormats"],
      swiftSettings: optimized),
    .executableTarget(
      name: "MedusaCLI",
      dependencies: [
        "Medusa", "MedusaConformance", "MedusaTraining", "Llama", "MedusaTokenizer",
        "MedusaFormats", "MedusaKernels",
      ],
      swiftSettings: cpu),
    .target(name: "GoldenSupport", path: "Tests/GoldenSupport", swiftSettings: optimized),
    .target(
      name: "MedusaTestSupport",
      dependencies: ["Medusa", "Llama", "MedusaKernels", "MedusaFormats", "GoldenSupport"],
      path: "Tests/MedusaTestSupport", swiftSettings: optimized),
    .testTarget(
      name: "MedusaKernelsTests", dependencies: ["MedusaKernels", "GoldenSupport"],
      swiftSettings: cpu),
    .testTarget(name: "MedusaFormatsTests", dependencies: ["MedusaFormats"], swiftSettings: cpu),
    .testTarget(name: "MedusaTokenizerTests", dependencies: ["MedusaTokenizer"], swiftSettings: cpu),
    .testTarget(
      name: "LlamaTests",
      dependencies: ["Llama", "MedusaKernels", "MedusaFormats", "GoldenSupport"],
      swiftSettings: cpu),
    .testTarget(
      name: "MedusaTests",
      dependencies: [
        "Medusa", "Llama", "MedusaKernels", "MedusaFormats", "GoldenSupport", "MedusaTestSupport",
      ],
      swiftSettings: cpu),
    .testTarget(
      name: "MedusaConformanceTests",
      dependencies: [
        "MedusaConformance", "MedusaTraining", "Medusa", "Llama", "MedusaKernels", "MedusaFormats",
        "GoldenSupport",
      ],
      swiftSettings: cpu),
    .testTarget(
      name: "MedusaTrainingTests",
      dependencies: [
        "MedusaTraining", "Medusa", "Llama", "MedusaKernels", "MedusaFormats", "GoldenSupport",
        "MedusaTestSupport",
      ],
      swiftSettings: cpu),
  ]
)
