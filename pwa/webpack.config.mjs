/**
 * `npm run build:pwa` → pwa/dist: the app shell (index.html), content-hashed
 * scripts (the API caches them for a year), the crypto worker as its own chunk,
 * our service worker (sw.js, Workbox InjectManifest) with the precache list, the
 * manifest and its icons. No inline script anywhere: the API's CSP forbids it.
 */
import HtmlWebpackPlugin from 'html-webpack-plugin'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { InjectManifest } from 'workbox-webpack-plugin'
import { AppAssetsPlugin, THEME_COLOUR } from './build/app_assets_plugin.mjs'

const here = dirname(fileURLToPath(import.meta.url))

export default (_env, argv) => {
  const production = argv.mode !== 'development'
  return {
    context: here,
    entry: { main: './src/client/main.tsx' },
    target: ['web', 'es2022'],
    output: {
      path: resolve(here, 'dist'),
      publicPath: '/',
      filename: production ? 'js/[name].[contenthash:12].js' : 'js/[name].js',
      chunkFilename: production ? 'js/[name].[contenthash:12].js' : 'js/[name].js',
      assetModuleFilename: 'assets/[name].[contenthash:12][ext]',
      clean: true,
    },
    resolve: { extensions: ['.tsx', '.ts', '.js'] },
    module: {
      rules: [
        { test: /\.tsx?$/, loader: 'esbuild-loader', options: { target: 'es2022', jsx: 'automatic', jsxImportSource: 'preact' } },
        { test: /\.css$/, type: 'asset/source' },
      ],
    },
    devtool: production ? false : 'source-map',
    performance: { hints: false },
    optimization: { splitChunks: false },
    plugins: [
      new HtmlWebpackPlugin({
        template: './src/client/index.html',
        templateParameters: { themeColour: THEME_COLOUR },
        scriptLoading: 'module',
        minify: production ? { collapseWhitespace: true, removeComments: true } : false,
      }),
      new AppAssetsPlugin(),
      new InjectManifest({
        swSrc: resolve(here, 'src/sw/sw.ts'),
        swDest: 'sw.js',
        // The service worker and the page must never be precached under a stale name.
        exclude: [/\.map$/, /^sw\.js$/],
        maximumFileSizeToCacheInBytes: 4 * 1024 * 1024,
      }),
    ],
  }
}
