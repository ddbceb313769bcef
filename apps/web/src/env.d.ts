/** The app's build-time configuration (Vite exposes `VITE_*` environment variables to the app). */
interface ImportMetaEnv {
  /** STUN / TURN servers for direct links, as JSON; see src/lib/p2p-settings.ts. */
  readonly VITE_TANDEM_ICE_SERVERS?: string;
}
