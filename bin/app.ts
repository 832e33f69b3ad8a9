// The CDK app: `npm run synth`, `npx cdk deploy --all -c stage=dev`.
import { buildApp } from '../lib/app.ts';

buildApp().app.synth();
