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
};
