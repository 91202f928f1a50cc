// electron-builder configuration: `npm run dist` (see docs/USER_GUIDE.md). Linux AppImage + deb, Windows
// NSIS, macOS dmg. Only the built bundles go into app.asar; onnxruntime-node and sharp are unpacked
// from it with their shared libraries (native code cannot load from inside an asar); the shipped model
// pack travels as extraResources; the Python training code and all sources stay out.
/** @type {import('electron-builder').Configuration} */
module.exports = {
  appId: 'org.vqddm.studio',
  productName: 'VQ-DDM Studio',
  executableName: 'vqddm-studio',
  directories: { output: 'dist', buildResources: 'build' },
  files: [
    'package.json',
    'out/main/**',
    'out/preload/**',
    'out/renderer/**',
    '!**/*.map',
    '!models/**',
    '!electron/**',
    '!renderer/**',
    '!tests/**',
    '!scripts/**',
    '!bench/**',
    '!docs/**',
  ],
  asar: true,
  asarUnpack: ['node_modules/onnxruntime-node/**', 'node_modules/onnxruntime-common/**', 'node_modules/sharp/**', 'node_modules/@img/**'],
  extraResources: [
    {
      from: 'models',
      to: 'models',
      // The shipped pack only: not the tiny test pack, never the training code or its data.
      filter: ['default/**', '!**/*.py', '!**/__pycache__/**', '!training/**'],
    },
  ],
  linux: {
    target: ['AppImage', 'deb'],
    category: 'Graphics',
    maintainer: 'VQ-DDM Studio',
    synopsis: 'Inpainting: VQ-DDM discrete diffusion vs an autoregressive transformer',
  },
  deb: { depends: ['libgtk-3-0', 'libnss3', 'libxss1', 'libxtst6', 'xdg-utils', 'libatspi2.0-0', 'libuuid1', 'libsecret-1-0'] },
  win: { target: ['nsis'] },
  nsis: { oneClick: false, allowToChangeInstallationDirectory: true, perMachine: false },
  mac: { target: ['dmg'], category: 'public.app-category.graphics-design' },
  // Native modules ship prebuilt for Node-API; nothing to rebuild against Electron's headers.
  npmRebuild: false,
  // Electron fuses, flipped in the packaged binary (electron-builder runs @electron/fuses): the app cannot
  // be run as plain Node (ELECTRON_RUN_AS_NODE), NODE_OPTIONS and --inspect are ignored, it loads only
  // from its app.asar and checks that archive's integrity, cookies are encrypted, and file:// pages get
  // no privileges beyond a browser's (the page is served as app://, electron/main/protocol.ts). The
  // engine's utility process is forked by Electron itself, which RunAsNode does not affect.
  electronFuses: {
    runAsNode: false,
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    enableEmbeddedAsarIntegrityValidation: true,
    onlyLoadAppFromAsar: true,
    enableCookieEncryption: true,
    grantFileProtocolExtraPrivileges: false,
  },
};
