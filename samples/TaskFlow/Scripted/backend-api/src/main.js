// Starts the API: `npm start`, on PORT or 3000.
import { createServer } from './server.js';

const port = Number(process.env.PORT ?? 3000);
createServer().listen(port, () => {
  console.log(`TaskFlow API on http://localhost:${port}/api`);
});
