import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { QueryJanitorStack } from './stack.ts';

const app = new App();
new QueryJanitorStack(app, app.node.tryGetContext('stackName') ?? 'QueryJanitor');
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
