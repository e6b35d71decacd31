/**
 * Emits the web app manifest and its icons into the build, before Workbox lists
 * the assets to precache, so the installed app has them offline too.
 */
import webpack from 'webpack'
import { appIcons } from './icons.mjs'

export const THEME_COLOUR = '#0f172a'

/** The manifest: what the browser needs to offer "Install" and to launch standalone. */
export const manifest = {
  name: 'HashInsight E2EE',
  short_name: 'HashInsight',
  description: 'Manage your mining farm; miner secrets are encrypted on this device.',
  id: '/',
  start_url: '/',
  scope: '/',
  display: 'standalone',
  orientation: 'portrait',
  background_color: THEME_COLOUR,
  theme_color: THEME_COLOUR,
  icons: [
    { src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
    { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
    { src: '/icons/maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
  ],
}

export class AppAssetsPlugin {
  apply(compiler) {
    compiler.hooks.thisCompilation.tap('AppAssetsPlugin', (compilation) => {
      compilation.hooks.processAssets.tap({ name: 'AppAssetsPlugin', stage: webpack.Compilation.PROCESS_ASSETS_STAGE_ADDITIONAL }, () => {
        for (const [file, png] of Object.entries(appIcons())) compilation.emitAsset(file, new webpack.sources.RawSource(png))
        compilation.emitAsset('manifest.webmanifest', new webpack.sources.RawSource(JSON.stringify(manifest, null, 2)))
      })
    })
  }
}
